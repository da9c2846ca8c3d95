package datapath_test

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// A global service programs lb.Select's result as is: with affinity none new flows
// spread over both clusters; with affinity local they stay in the local cluster while it
// has an active backend, and the remote backends are not programmed at all.
func ExampleService() {
	fe := lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: lb.TCP}
	local := []lb.Backend{{Addr: netip.MustParseAddrPort("10.240.0.5:8080"), Protocol: lb.TCP, ClusterID: 1}}
	remote := []lb.Backend{{Addr: netip.MustParseAddrPort("10.245.0.7:8080"), Protocol: lb.TCP, ClusterID: 2}}

	for _, aff := range []lb.Affinity{lb.AffinityNone, lb.AffinityLocal} {
		svc := datapath.Service{Frontend: fe, Backends: lb.Select(&lb.Global{Affinity: aff}, local, remote).Backends}
		var flows []netip.AddrPort
		for _, b := range svc.MaglevBackends() {
			flows = append(flows, b.Addr)
		}
		fmt.Printf("%s: %d programmed, new flows to %v\n", aff, len(svc.Backends), flows)
	}
	// Output:
	// none: 2 programmed, new flows to [10.240.0.5:8080 10.245.0.7:8080]
	// local: 1 programmed, new flows to [10.240.0.5:8080]
}
