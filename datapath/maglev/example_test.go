package maglev_test

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// A table of 251 slots over three backends, and the backend one flow reaches.
func Example() {
	b, err := maglev.New(251)
	if err != nil {
		fmt.Println(err)
		return
	}
	const tcp = 6
	backends := []maglev.Backend{
		{Addr: netip.MustParseAddrPort("10.244.1.5:8080"), Protocol: tcp},
		{Addr: netip.MustParseAddrPort("10.244.2.6:8080"), Protocol: tcp},
		{Addr: netip.MustParseAddrPort("10.245.0.7:8080"), Protocol: tcp},
	}
	table := make([]uint32, b.Size())
	if err := b.Fill(table, backends); err != nil {
		fmt.Println(err)
		return
	}
	owned := make([]int, len(backends))
	for _, i := range table {
		owned[i]++
	}
	fmt.Println("slots per backend:", owned)

	slot := maglev.FlowSlot(netip.MustParseAddrPort("192.168.7.9:40000"),
		netip.MustParseAddrPort("10.96.0.10:80"), tcp, b.Size())
	fmt.Println("flow goes to", backends[table[slot]].Addr)
	// Output:
	// slots per backend: [83 84 84]
	// flow goes to 10.244.2.6:8080
}

// A table whose slots hold backend IDs (here 101, 102, 103) instead of indexes.
func ExampleBuilder_FillValues() {
	b, err := maglev.New(251)
	if err != nil {
		fmt.Println(err)
		return
	}
	const tcp = 6
	backends := []maglev.Backend{
		{Addr: netip.MustParseAddrPort("10.244.1.5:8080"), Protocol: tcp},
		{Addr: netip.MustParseAddrPort("10.244.2.6:8080"), Protocol: tcp},
		{Addr: netip.MustParseAddrPort("10.245.0.7:8080"), Protocol: tcp},
	}
	table := make([]uint32, b.Size())
	if err := b.FillValues(table, backends, []uint32{101, 102, 103}); err != nil {
		fmt.Println(err)
		return
	}
	owned := map[uint32]int{}
	for _, id := range table {
		owned[id]++
	}
	fmt.Println("slots per backend ID:", owned)
	// Output:
	// slots per backend ID: map[101:83 102:84 103:84]
}
