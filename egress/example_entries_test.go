package egress_test

import (
	"fmt"
	"net/netip"
	"strings"

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

// When a gateway is down, only the endpoints assigned to it move: each to the gateway
// FNV-32a of its UID picks among the gateways that are up.
func ExampleSelectGateway_failover() {
	gateways := []egress.Gateway{
		{IP: netip.MustParseAddr("192.168.10.21"), EgressIP: netip.MustParseAddr("192.168.10.240")},
		{IP: netip.MustParseAddr("192.168.10.22"), EgressIP: netip.MustParseAddr("192.168.10.241")},
		{IP: netip.MustParseAddr("192.168.10.23"), EgressIP: netip.MustParseAddr("192.168.10.242")},
	}
	show := func() {
		var line []string
		for _, uid := range []string{"pod-a", "pod-b", "pod-c", "pod-d"} {
			gw, _ := egress.SelectGateway(uid, gateways)
			line = append(line, fmt.Sprintf("%s via %v", uid, gw.EgressIP))
		}
		fmt.Println(strings.Join(line, ", "))
	}
	show()
	gateways[1].Down = true
	show()
	// Output:
	// pod-a via 192.168.10.241, pod-b via 192.168.10.242, pod-c via 192.168.10.240, pod-d via 192.168.10.242
	// pod-a via 192.168.10.240, pod-b via 192.168.10.242, pod-c via 192.168.10.240, pod-d via 192.168.10.242
}
