package lb_test

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// The seed's userlist-svc with affinity remote, seen from cluster 1: the remote backend in
// cluster 2 is preferred and the local one is left out while it is active.
func ExampleSelect() {
	local := []lb.Backend{{Addr: netip.MustParseAddrPort("10.0.0.165:8181"), Protocol: lb.TCP, ClusterID: 1}}
	remote := []lb.Backend{{Addr: netip.MustParseAddrPort("10.0.0.239:8181"), Protocol: lb.TCP, ClusterID: 2}}

	sel := lb.Select(&lb.Global{Affinity: lb.AffinityRemote}, local, remote)
	fmt.Println(sel)

	// The remote backend goes into maintenance: cluster 1 serves again.
	remote[0].State = lb.BackendMaintenance
	sel = lb.Select(&lb.Global{Affinity: lb.AffinityRemote}, local, remote)
	fmt.Println(sel)
	// Output:
	// 2 => 10.0.0.239:8181 (active) (preferred)
	// 1 => 10.0.0.165:8181 (active)
	// 2 => 10.0.0.239:8181 (maintenance) (preferred)
}

func ExampleFormatServiceList() {
	local := []lb.Backend{{Addr: netip.MustParseAddrPort("10.0.0.124:80"), Protocol: lb.TCP, ClusterID: 1}}
	remote := []lb.Backend{{Addr: netip.MustParseAddrPort("10.0.0.76:80"), Protocol: lb.TCP, ClusterID: 2}}
	rows := []lb.ServiceRow{{
		ID:        30,
		Frontend:  lb.Frontend{Addr: netip.MustParseAddrPort("10.110.200.29:80"), Protocol: lb.TCP},
		Type:      "ClusterIP",
		Selection: lb.Select(&lb.Global{Affinity: lb.AffinityLocal}, local, remote),
	}, {
		ID:        31,
		Frontend:  lb.Frontend{Addr: netip.MustParseAddrPort("10.110.200.30:80"), Protocol: lb.TCP},
		Type:      "ClusterIP",
		Selection: lb.Select(&lb.Global{}, local, remote),
	}}
	if err := lb.FormatServiceList(os.Stdout, rows); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ID   Frontend           Service Type   Backend
	// 30   10.110.200.29:80   ClusterIP      1 => 10.0.0.124:80 (active) (preferred)
	// 31   10.110.200.30:80   ClusterIP      1 => 10.0.0.124:80 (active)
	//                                        2 => 10.0.0.76:80 (active)
}
