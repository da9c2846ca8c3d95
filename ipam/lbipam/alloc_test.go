package lbipam

import (
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// The seed: a /29 without first and last leaves 6 addresses; three Services get .1, .2, .3.
func TestSeedPool(t *testing.T) {
	a := NewAllocator()
	if err := a.SetPool(noFirstLast(testPool(t, "cilium-pool", 0, "10.10.200.0/29"))); err != nil {
		t.Fatal(err)
	}
	st, _ := a.PoolStatus("cilium-pool")
	if st.Total.Int64() != 6 || st.Available.Int64() != 6 || st.Used.Int64() != 0 {
		t.Fatalf("fresh pool: total %v used %v available %v, want 6/0/6", st.Total, st.Used, st.Available)
	}
	for i, name := range []string{"web", "api", "db"} {
		res := a.Assign(testSvc("default", name))
		want := fmt.Sprintf("10.10.200.%d", i+1)
		if !res.Satisfied || ipsString(res.IPs) != want {
			t.Errorf("%s: got %v (satisfied %v, %v), want %s", name, res.IPs, res.Satisfied, res.Err, want)
		}
	}
	st, _ = a.PoolStatus("cilium-pool")
	if st.Used.Int64() != 3 || st.Available.Int64() != 3 {
		t.Errorf("after 3 services: used %v available %v, want 3/3", st.Used, st.Available)
	}
}

func TestFirstLastReservation(t *testing.T) {
	for _, tc := range []struct {
		block   string
		noFL    bool
		total   int64
		lowest  string
		highest string
	}{
		{"10.0.0.0/29", true, 6, "10.0.0.1", "10.0.0.6"},
		{"10.0.0.0/29", false, 8, "10.0.0.0", "10.0.0.7"},
		{"10.0.0.0/30", true, 2, "10.0.0.1", "10.0.0.2"},
		{"10.0.0.0/31", true, 2, "10.0.0.0", "10.0.0.1"},
		{"10.0.0.9/32", true, 1, "10.0.0.9", "10.0.0.9"},
		{"2001:db8::/126", true, 2, "2001:db8::1", "2001:db8::2"},
		{"2001:db8::/127", true, 2, "2001:db8::", "2001:db8::1"},
		{"2001:db8::5/128", true, 1, "2001:db8::5", "2001:db8::5"},
		// Ranges never reserve.
		{"10.0.0.0-10.0.0.3", true, 4, "10.0.0.0", "10.0.0.3"},
	} {
		t.Run(fmt.Sprintf("%s/no=%v", tc.block, tc.noFL), func(t *testing.T) {
			p := testPool(t, "p", 0, tc.block)
			if tc.noFL {
				noFirstLast(p)
			}
			a := NewAllocator()
			if err := a.SetPool(p); err != nil {
				t.Fatal(err)
			}
			st, _ := a.PoolStatus("p")
			if st.Total.Int64() != tc.total {
				t.Errorf("total %v, want %d", st.Total, tc.total)
			}
			v6 := tc.lowest[0] == '2'
			var got []string
			for i := range tc.total + 1 {
				opts := []func(*corev1.Service){}
				if v6 {
					opts = append(opts, withFamilies(corev1.IPFamilyPolicySingleStack, corev1.IPv6Protocol))
				}
				res := a.Assign(testSvc("ns", fmt.Sprint("s", i), opts...))
				if i == tc.total {
					if res.Reason != ReasonOutOfIPs || !errors.Is(res.Err, ErrOutOfIPs) {
						t.Errorf("service beyond capacity: reason %q err %v, want out_of_ips", res.Reason, res.Err)
					}
					continue
				}
				if len(res.IPs) != 1 {
					t.Fatalf("service %d: %v %v", i, res.IPs, res.Err)
				}
				got = append(got, res.IPs[0].String())
			}
			if got[0] != tc.lowest || got[len(got)-1] != tc.highest {
				t.Errorf("handed out %v, want %s..%s", got, tc.lowest, tc.highest)
			}
		})
	}
}
