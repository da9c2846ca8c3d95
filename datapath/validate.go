package datapath

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Addresses the programs refuse, because a packet to them is never meant for a service
// or because a rewrite to them cannot be delivered (or read back: the backends map marks
// a free slot with address 0.0.0.0).
//
// A frontend may not be unspecified (0.0.0.0/8, "this network"), the limited broadcast
// address 255.255.255.255, multicast (224.0.0.0/4) or loopback (127.0.0.0/8). Loopback
// is refused whatever the port: the programs rewrite every matching packet on the
// interface they are attached to, so a frontend such as 127.0.0.1:22 would capture the
// node's own connections to a local daemon (here SSH) and send them to the backends.
// A loopback VIP has no use a routable one cannot serve (an address on lo, as the
// package's tests use, does the same for local clients).
//
// A backend may not be unspecified (0.0.0.0/8), 255.255.255.255 or multicast; loopback
// backends are accepted (a backend on the node itself, reached through lo).

// frontendAddrProblem returns why a is not usable as a frontend address, or "".
func frontendAddrProblem(a netip.Addr) string {
	switch {
	case a.As4()[0] == 0:
		return "unspecified or \"this network\" address (0.0.0.0/8)"
	case a == broadcast4:
		return "limited broadcast address"
	case a.IsMulticast():
		return "multicast address"
	case a.IsLoopback():
		return "loopback address (it would capture the node's own connections to local services)"
	}
	return ""
}

// backendAddrProblem returns why a is not usable as a backend address, or "".
func backendAddrProblem(a netip.Addr) string {
	switch {
	case a.As4()[0] == 0:
		return "unspecified or \"this network\" address (0.0.0.0/8)"
	case a == broadcast4:
		return "limited broadcast address"
	case a.IsMulticast():
		return "multicast address"
	}
	return ""
}

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// checkFrontend validates a frontend: IPv4, a usable address, TCP or UDP, port non-zero.
func checkFrontend(fe lb.Frontend) error {
	if !fe.Addr.Addr().Is4() {
		return fmt.Errorf("%w: frontend %v: not IPv4", ErrUnsupported, fe)
	}
	if p := frontendAddrProblem(fe.Addr.Addr()); p != "" {
		return fmt.Errorf("%w: frontend %v: %s", ErrUnsupported, fe, p)
	}
	if fe.Protocol != lb.TCP && fe.Protocol != lb.UDP {
		return fmt.Errorf("%w: frontend %v: protocol %v, want TCP or UDP", ErrUnsupported, fe, fe.Protocol)
	}
	if fe.Addr.Port() == 0 {
		return fmt.Errorf("%w: frontend %v: port 0", ErrUnsupported, fe)
	}
	return nil
}

// checkBackend validates backend b of frontend fe.
func checkBackend(fe lb.Frontend, b *lb.SelectedBackend) error {
	switch {
	case !b.Addr.Addr().Is4():
		return fmt.Errorf("%w: frontend %v: backend %v: not IPv4", ErrUnsupported, fe, b)
	case b.Protocol != fe.Protocol:
		return fmt.Errorf("%w: frontend %v: backend %v: protocol differs from the frontend's", ErrUnsupported, fe, b)
	case b.Addr.Port() == 0:
		return fmt.Errorf("%w: frontend %v: backend %v: port 0", ErrUnsupported, fe, b)
	case b.State > lb.BackendMaintenance:
		return fmt.Errorf("%w: frontend %v: backend %v: unknown state", ErrUnsupported, fe, b)
	}
	if p := backendAddrProblem(b.Addr.Addr()); p != "" {
		return fmt.Errorf("%w: frontend %v: backend %v: %s", ErrUnsupported, fe, b.Addr, p)
	}
	return nil
}

// Validate reports the first reason the programs cannot serve s, whatever the Options:
// a frontend that is not IPv4, not TCP or UDP, has port 0 or an address the programs
// refuse (unspecified 0.0.0.0/8, 255.255.255.255, multicast, loopback); a backend that
// is not IPv4, has another protocol than the frontend, port 0, an unknown state or an
// address the programs refuse (0.0.0.0/8, 255.255.255.255, multicast; loopback backends
// are accepted); more than MaxBackendsPerService backends; or a backend listed twice.
// The error wraps ErrUnsupported, ErrCapacity or ErrDuplicate and names the frontend and
// the backend. Sync and UpsertService run the same checks (and those that depend on the
// Options and on what is programmed) before writing anything; Validate lets a caller
// check outside input before loading the programs. It needs no kernel and works on
// every operating system.
func (s *Service) Validate() error {
	if err := checkFrontend(s.Frontend); err != nil {
		return err
	}
	if len(s.Backends) > MaxBackendsPerService {
		return fmt.Errorf("%w: frontend %v has %d backends, at most %d allowed",
			ErrCapacity, s.Frontend, len(s.Backends), MaxBackendsPerService)
	}
	seen := make(map[netip.AddrPort]struct{}, len(s.Backends))
	for i := range s.Backends {
		b := &s.Backends[i]
		if err := checkBackend(s.Frontend, b); err != nil {
			return err
		}
		if _, dup := seen[b.Addr]; dup {
			return fmt.Errorf("%w: frontend %v lists backend %v twice", ErrDuplicate, s.Frontend, b.Addr)
		}
		seen[b.Addr] = struct{}{}
	}
	return nil
}
