package datapath

import (
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Addresses the programs refuse, because a packet to them is never meant for a service
// or because a rewrite to them cannot be delivered (or read back: the backends maps mark
// a free slot with an all-zero address).
//
// A frontend may not be unspecified (0.0.0.0/8, "this network", or ::), the limited
// broadcast address 255.255.255.255, multicast (224.0.0.0/4, ff00::/8) or loopback
// (127.0.0.0/8, ::1). Loopback is refused whatever the port: the programs rewrite every
// matching packet on the interface they are attached to, so a frontend such as
// 127.0.0.1:22 would capture the node's own connections to a local daemon (here SSH) and
// send them to the backends. A loopback VIP has no use a routable one cannot serve (an
// address on lo, as the package's tests use, does the same for local clients).
//
// A backend may not be unspecified, 255.255.255.255 or multicast; loopback backends are
// accepted (a backend on the node itself, reached through lo).
//
// Neither may be an IPv4-mapped IPv6 address (::ffff:a.b.c.d: an IPv6 packet never
// carries one, the IPv4 form is meant) or carry an IPv6 zone (the maps hold none), and a
// backend's family is its frontend's (the programs do not translate between families).

// addrProblem returns why a is not usable as a frontend (or, with backend set, a
// backend) address, or "".
func addrProblem(a netip.Addr, backend bool) string {
	switch {
	case a.Is4() && a.As4()[0] == 0:
		return "unspecified or \"this network\" address (0.0.0.0/8)"
	case a.IsUnspecified():
		return "unspecified address"
	case a.Is4In6():
		return "IPv4-mapped IPv6 address (use the IPv4 form)"
	case a.Zone() != "":
		return "address with an IPv6 zone"
	case a == broadcast4:
		return "limited broadcast address"
	case a.IsMulticast():
		return "multicast address"
	case a.IsLoopback() && !backend:
		return "loopback address (it would capture the node's own connections to local services)"
	}
	return ""
}

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// checkFrontend validates a frontend: a usable IPv4 or IPv6 address, TCP or UDP, port
// non-zero.
func checkFrontend(fe lb.Frontend) error {
	if !fe.Addr.Addr().IsValid() {
		return fmt.Errorf("%w: frontend %v: no address", ErrUnsupported, fe)
	}
	if p := addrProblem(fe.Addr.Addr(), false); p != "" {
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

// checkBackend validates backend b of frontend fe (already validated).
func checkBackend(fe lb.Frontend, b *lb.SelectedBackend) error {
	a := b.Addr.Addr()
	switch {
	case !a.IsValid():
		return fmt.Errorf("%w: frontend %v: backend %v: no address", ErrUnsupported, fe, b)
	case a.Is4() != fe.Addr.Addr().Is4() && !a.Is4In6():
		return fmt.Errorf("%w: frontend %v: backend %v: not of the frontend's address family", ErrUnsupported, fe, b)
	case b.Protocol != fe.Protocol:
		return fmt.Errorf("%w: frontend %v: backend %v: protocol differs from the frontend's", ErrUnsupported, fe, b)
	case b.Addr.Port() == 0:
		return fmt.Errorf("%w: frontend %v: backend %v: port 0", ErrUnsupported, fe, b)
	case b.State > lb.BackendMaintenance:
		return fmt.Errorf("%w: frontend %v: backend %v: unknown state", ErrUnsupported, fe, b)
	}
	if p := addrProblem(a, true); p != "" {
		return fmt.Errorf("%w: frontend %v: backend %v: %s", ErrUnsupported, fe, b.Addr, p)
	}
	return nil
}

// Validate reports the first reason the programs cannot serve s, whatever the Options:
// a frontend that is not TCP or UDP, has port 0 or an address the programs refuse
// (unspecified 0.0.0.0/8 and ::, 255.255.255.255, multicast, loopback, IPv4-mapped IPv6,
// zoned); a backend of the other address family, with another protocol than the
// frontend, port 0, an unknown state or an address the programs refuse (unspecified,
// 255.255.255.255, multicast, IPv4-mapped IPv6, zoned; loopback backends are accepted); more than MaxBackendsPerService backends; or a backend listed twice.
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
