package egress_test

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/egress"
)

func ExampleEntries() {
	gateways := []egress.Gateway{
		{IP: netip.MustParseAddr("192.168.1.20"), EgressIP: netip.MustParseAddr("10.0.0.20")},
		{IP: netip.MustParseAddr("192.168.1.10"), EgressIP: netip.MustParseAddr("10.0.0.10")},
	}
	pod := egress.Endpoint{UID: "6f2c1d9e-0000-4000-8000-000000000001", IPs: []netip.Addr{netip.MustParseAddr("10.244.1.7")}}
	for _, e := range egress.Entries([]egress.Endpoint{pod},
		[]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
		[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, gateways) {
		fmt.Println(e)
	}
	// Output:
	// 10.244.1.7 -> 0.0.0.0/0 via 192.168.1.10 as 10.0.0.10
	// 10.244.1.7 -> 10.0.0.0/8 via 0.0.0.1 as 0.0.0.0
}
