package mesh_test

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// The seed's userlist-svc with affinity remote, seen from cluster 1: the remote backend in
// cluster 2 is preferred and the local one is left out while it is active.
func ExampleSelectBackends() {
	local := []mesh.Backend{{Addr: netip.MustParseAddrPort("10.0.0.165:8181"), Protocol: mesh.TCP, ClusterID: 1}}
	remote := []mesh.Backend{{Addr: netip.MustParseAddrPort("10.0.0.239:8181"), Protocol: mesh.TCP, ClusterID: 2}}

	sel := mesh.SelectBackends(&mesh.Global{Affinity: mesh.AffinityRemote}, local, remote)
	fmt.Println(sel)

	// The remote backend goes into maintenance: cluster 1 serves again.
	remote[0].State = mesh.BackendMaintenance
	sel = mesh.SelectBackends(&mesh.Global{Affinity: mesh.AffinityRemote}, local, remote)
	fmt.Println(sel)
	// Output:
	// 2 => 10.0.0.239:8181 (active) (preferred)
	// 1 => 10.0.0.165:8181 (active)
	// 2 => 10.0.0.239:8181 (maintenance) (preferred)
}

func ExampleFormatServiceList() {
	local := []mesh.Backend{{Addr: netip.MustParseAddrPort("10.0.0.124:80"), Protocol: mesh.TCP, ClusterID: 1}}
	remote := []mesh.Backend{{Addr: netip.MustParseAddrPort("10.0.0.76:80"), Protocol: mesh.TCP, ClusterID: 2}}
	rows := []mesh.ServiceRow{{
		ID:        30,
		Frontend:  mesh.Frontend{Addr: netip.MustParseAddrPort("10.110.200.29:80"), Protocol: mesh.TCP},
		Type:      "ClusterIP",
		Selection: mesh.SelectBackends(&mesh.Global{Affinity: mesh.AffinityLocal}, local, remote),
	}, {
		ID:        31,
		Frontend:  mesh.Frontend{Addr: netip.MustParseAddrPort("10.110.200.30:80"), Protocol: mesh.TCP},
		Type:      "ClusterIP",
		Selection: mesh.SelectBackends(&mesh.Global{}, local, remote),
	}}
	if err := mesh.FormatServiceList(os.Stdout, rows); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ID   Frontend           Service Type   Backend
	// 30   10.110.200.29:80   ClusterIP      1 => 10.0.0.124:80 (active) (preferred)
	// 31   10.110.200.30:80   ClusterIP      1 => 10.0.0.124:80 (active)
	//                                        2 => 10.0.0.76:80 (active)
}
