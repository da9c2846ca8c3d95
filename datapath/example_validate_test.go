package datapath_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Validate checks services read from outside input before anything is loaded: a
// loopback frontend such as 127.0.0.1:22 and a 0.0.0.0 backend are refused.
func ExampleService_Validate() {
	be := func(a string) []lb.SelectedBackend {
		return []lb.SelectedBackend{{Backend: lb.Backend{Addr: netip.MustParseAddrPort(a), Protocol: lb.TCP}}}
	}
	for _, s := range []datapath.Service{
		{Frontend: lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: lb.TCP}, Backends: be("10.240.0.5:8080")},
		{Frontend: lb.Frontend{Addr: netip.MustParseAddrPort("127.0.0.1:22"), Protocol: lb.TCP}, Backends: be("10.240.0.5:22")},
		{Frontend: lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.11:80"), Protocol: lb.TCP}, Backends: be("0.0.0.0:8080")},
	} {
		err := s.Validate()
		fmt.Println(s.Frontend, errors.Is(err, datapath.ErrUnsupported), err)
	}
	// Output:
	// 10.96.0.10:80/TCP false <nil>
	// 127.0.0.1:22/TCP true datapath: unsupported address or protocol: frontend 127.0.0.1:22/TCP: loopback address (it would capture the node's own connections to local services)
	// 10.96.0.11:80/TCP true datapath: unsupported address or protocol: frontend 10.96.0.11:80/TCP: backend 0.0.0.0:8080: unspecified or "this network" address (0.0.0.0/8)
}
