package lbipam

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func withIngress(ips ...string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		s.Status.LoadBalancer.Ingress = nil
		for _, ip := range ips {
			s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
	}
}

// TestAddressWrittenByAnotherWriter covers the rule of Assign for an address another
// writer put into a known Service's status: adopted when valid and free, else refused
// with the Service keeping what it held; never held twice.
func TestAddressWrittenByAnotherWriter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []func(*corev1.Service)
		want    string
		refused error
		freed   string // an address that must be free afterwards
	}{
		{name: "free in pool: adopted", opts: []func(*corev1.Service){withIngress("10.0.0.5")}, want: "10.0.0.5", freed: "10.0.0.1"},
		{name: "status cleared: kept", opts: []func(*corev1.Service){withIngress()}, want: "10.0.0.1"},
		{name: "held by another service", opts: []func(*corev1.Service){withIngress("10.0.0.2")}, want: "10.0.0.1", refused: ErrAlreadyAllocated},
		{name: "in no pool", opts: []func(*corev1.Service){withIngress("192.0.2.1")}, want: "10.0.0.1", refused: ErrNoPool},
		{name: "pool does not select it", opts: []func(*corev1.Service){withIngress("10.1.0.3")}, want: "10.0.0.1", refused: ErrSelectorMismatch},
		{name: "family not requested", opts: []func(*corev1.Service){withIngress("10.0.0.1", "2001:db8::5")}, want: "10.0.0.1", refused: ErrNotRequested},
		{name: "two new addresses of one family", opts: []func(*corev1.Service){withIngress("10.0.0.5", "10.0.0.6")}, want: "10.0.0.5", refused: ErrNotRequested, freed: "10.0.0.6"},
		{name: "unparsable", opts: []func(*corev1.Service){withIngress("10.0.0.x")}, want: "10.0.0.1", refused: ErrInvalidRequest},
		{name: "named IP request: other IP refused", opts: []func(*corev1.Service){withAnn("lbipam.cilium.io/ips", "10.0.0.1"), withIngress("10.0.0.5")}, want: "10.0.0.1", refused: ErrNotRequested},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAllocator()
			_ = a.SetPool(testPool(t, "p", 0, "10.0.0.1-10.0.0.10", "2001:db8::/120"))
			_ = a.SetPool(withSelector(testPool(t, "q", 1, "10.1.0.0/24"), map[string]string{"team": "other"}))
			base := []func(*corev1.Service){}
			for _, o := range tc.opts {
				// the request annotation applies from the start; the status only later
				if isAnn(o) {
					base = append(base, o)
				}
			}
			if res := a.Assign(testSvc("ns", "x", base...)); ipsString(res.IPs) != "10.0.0.1" {
				t.Fatalf("x: %v %v", res.IPs, res.Err)
			}
			if res := a.Assign(testSvc("ns", "y")); ipsString(res.IPs) != "10.0.0.2" {
				t.Fatalf("y: %v %v", res.IPs, res.Err)
			}
			svc := testSvc("ns", "x", tc.opts...)
			if !a.diverges(svc) && tc.name != "status cleared: kept" {
				t.Errorf("diverges = false for status %v", svc.Status.LoadBalancer.Ingress)
			}
			res := a.Assign(svc)
			if got := ipsString(res.IPs); got != tc.want {
				t.Errorf("IPs %s, want %s (refused %v)", got, tc.want, res.Refused)
			}
			switch {
			case tc.refused == nil && res.Refused != nil:
				t.Errorf("refused %v, want nothing refused", res.Refused)
			case tc.refused != nil && !errors.Is(res.Refused, tc.refused):
				t.Errorf("refused %v, want %v", res.Refused, tc.refused)
			case tc.refused != nil && res.RefusedReason != reasonFor(tc.refused):
				t.Errorf("refused reason %q, want %q", res.RefusedReason, reasonFor(tc.refused))
			}
			if y := a.Assign(testSvc("ns", "y", withIngress("10.0.0.2"))); ipsString(y.IPs) != "10.0.0.2" || y.Refused != nil {
				t.Errorf("y moved: %v %v", y.IPs, y.Refused)
			}
			if tc.freed != "" {
				if r := a.rangeOf(mustAddr(tc.freed)); r == nil || !r.free.isFree(mustAddr(tc.freed)) {
					t.Errorf("%s not free afterwards", tc.freed)
				}
			}
			checkInvariants(t, a)
		})
	}
}

// isAnn tells request options (annotations) from status options in the table above.
func isAnn(o func(*corev1.Service)) bool {
	s := &corev1.Service{}
	o(s)
	return len(s.Annotations) > 0
}

func TestDiverges(t *testing.T) {
	a := NewAllocator()
	_ = a.SetPool(testPool(t, "p", 0, "10.0.0.0/28"))
	svc := testSvc("ns", "x")
	if a.diverges(svc) {
		t.Error("unknown service diverges")
	}
	res := a.Assign(svc)
	if a.diverges(testSvc("ns", "x", withIngress(ipsString(res.IPs)))) {
		t.Error("status equal to the holding diverges")
	}
	if !a.diverges(svc) {
		t.Error("status without the held address does not diverge")
	}
	cluster := testSvc("ns", "x", withIngress(ipsString(res.IPs)))
	cluster.Spec.Type = corev1.ServiceTypeClusterIP
	if !a.diverges(cluster) {
		t.Error("unmanaged service holding an address does not diverge")
	}
}
