package egress

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"testing"
)

func TestSelectGatewayFailover(t *testing.T) {
	all := []Gateway{gwA, gwB, gwC} // sorted by IP: B (.10), C (.20), A (.30)
	sorted := []Gateway{gwB, gwC, gwA}
	for down := range all {
		gws := append([]Gateway(nil), all...)
		gws[down].Down = true
		var up []Gateway
		for _, g := range sorted {
			if g.IP != all[down].IP {
				up = append(up, g)
			}
		}
		moved := 0
		for i := range 300 {
			uid := fmt.Sprintf("uid-%d", i)
			h := fnv.New32a()
			h.Write([]byte(uid))
			before, err := SelectGateway(uid, all)
			if err != nil {
				t.Fatal(err)
			}
			if before != sorted[h.Sum32()%3] {
				t.Fatalf("%s: Cilium's pick is %v, got %v", uid, sorted[h.Sum32()%3], before)
			}
			after, err := SelectGateway(uid, gws)
			if err != nil {
				t.Fatal(err)
			}
			if after.Down {
				t.Fatalf("%s assigned to the down gateway %v", uid, after)
			}
			switch {
			case before.IP != all[down].IP && after != before:
				t.Errorf("%s moved from %v, which is up, to %v", uid, before, after)
			case before.IP == all[down].IP:
				moved++
				if want := up[h.Sum32()%2]; after != want {
					t.Errorf("%s moved to %v, want %v (FNV-32a mod 2 over the remaining gateways)", uid, after, want)
				}
			}
		}
		if moved == 0 {
			t.Errorf("gateway %v down: no endpoint was assigned to it", all[down])
		}
	}

	allDown := []Gateway{{IP: gwA.IP, EgressIP: gwA.EgressIP, Down: true}, {IP: gwB.IP, EgressIP: gwB.EgressIP, Down: true}}
	if _, err := SelectGateway("a", allDown); !errors.Is(err, ErrNoGateways) {
		t.Errorf("every gateway down: err = %v, want ErrNoGateways", err)
	}
	ep := Endpoint{UID: "a", IPs: []netip.Addr{netip.MustParseAddr("10.245.1.7")}}
	es := Entries([]Endpoint{ep}, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, nil, allDown)
	if len(es) != 1 || !es[0].Drops() {
		t.Errorf("every gateway down: entries %v, want one dropping entry", es)
	}
}
