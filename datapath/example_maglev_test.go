package datapath_test

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func ExampleMaglev() {
	g, err := datapath.NewMaglev(251)
	if err != nil {
		fmt.Println(err)
		return
	}
	backends := []mesh.Backend{
		{Addr: netip.MustParseAddrPort("10.244.1.5:8080"), Protocol: mesh.TCP},
		{Addr: netip.MustParseAddrPort("10.244.2.6:8080"), Protocol: mesh.TCP},
		{Addr: netip.MustParseAddrPort("10.245.0.7:8080"), Protocol: mesh.TCP, ClusterID: 2},
	}
	table := make([]uint32, g.Size())
	if err := g.Fill(table, backends); err != nil {
		fmt.Println(err)
		return
	}
	owned := make([]int, len(backends))
	for _, i := range table {
		owned[i]++
	}
	fmt.Println("slots per backend:", owned)

	slot := datapath.FlowSlot(netip.MustParseAddrPort("192.168.7.9:40000"),
		netip.MustParseAddrPort("10.96.0.10:80"), mesh.TCP, g.Size())
	fmt.Println("flow goes to", backends[table[slot]].Addr)
	// Output:
	// slots per backend: [83 84 84]
	// flow goes to 10.244.2.6:8080
}
