package datapath

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// MaxBackendsPerService is the most backends one service may have.
const MaxBackendsPerService = 65535

// Service is a frontend and its backends as the datapath programs them. Only IPv4 TCP
// and UDP frontends are supported; every backend must be IPv4 with the frontend's
// protocol, and a backend (address, port, protocol) may belong to one frontend only.
type Service struct {
	// Frontend is the VIP, port (non-zero) and protocol packets are load-balanced for.
	Frontend mesh.Frontend
	// Backends are all of the service's backends. All are written to the backends and
	// reverse NAT maps (so replies of terminating backends keep their frontend); only
	// those MaglevBackends returns take new flows. Zone is not stored.
	Backends []mesh.Backend
	// Preferred is the set of backend addresses that clustermesh affinity selects (for
	// example the local cluster's backends under affinity "local"). When it holds at
	// least one active backend, only those fill the Maglev table; otherwise every active
	// backend does. Empty means no preference.
	Preferred []netip.AddrPort
}

// MaglevBackends returns the backends that fill the service's Maglev table: the active
// backends in Preferred if there is any, else all active backends, in the order of
// Backends. Terminating, quarantined and maintenance backends never take new flows. An
// empty result means packets for the frontend are dropped.
func (s *Service) MaglevBackends() []mesh.Backend { return s.backendsAt(s.maglevIndexes()) }

// backendsAt returns the backends at indexes idx of s.Backends.
func (s *Service) backendsAt(idx []int) []mesh.Backend {
	out := make([]mesh.Backend, len(idx))
	for i, j := range idx {
		out[i] = s.Backends[j]
	}
	return out
}

// maglevIndexes returns the indexes in s.Backends of MaglevBackends.
func (s *Service) maglevIndexes() []int {
	inPreferred := func(a netip.AddrPort) bool { return slices.Contains(s.Preferred, a) }
	if len(s.Preferred) > 16 {
		set := make(map[netip.AddrPort]struct{}, len(s.Preferred))
		for _, a := range s.Preferred {
			set[a] = struct{}{}
		}
		inPreferred = func(a netip.AddrPort) bool { _, ok := set[a]; return ok }
	}
	var active, preferred []int
	for i := range s.Backends {
		b := &s.Backends[i]
		if b.State != mesh.BackendActive {
			continue
		}
		active = append(active, i)
		if len(s.Preferred) > 0 && inPreferred(b.Addr) {
			preferred = append(preferred, i)
		}
	}
	if len(preferred) > 0 {
		return preferred
	}
	return active
}

// prepared is a validated service converted to map values.
type prepared struct {
	key  lbSvcKey
	bes  []lbBackend   // SvcId left 0
	keys []lbRevnatKey // backend keys, parallel to bes
	cand []mesh.Backend
	cidx []int // index in bes of each cand
}

// prepare validates s against the programs' and maps' limits and converts it.
func (d *Datapath) prepare(s *Service) (prepared, error) {
	fe := s.Frontend
	if !fe.Addr.Addr().Is4() {
		return prepared{}, fmt.Errorf("%w: frontend %v: not IPv4", ErrUnsupported, fe)
	}
	if fe.Protocol != mesh.TCP && fe.Protocol != mesh.UDP {
		return prepared{}, fmt.Errorf("%w: frontend %v: protocol %v, want TCP or UDP", ErrUnsupported, fe, fe.Protocol)
	}
	if fe.Addr.Port() == 0 {
		return prepared{}, fmt.Errorf("%w: frontend %v: port 0", ErrUnsupported, fe)
	}
	if len(s.Backends) > MaxBackendsPerService {
		return prepared{}, fmt.Errorf("%w: frontend %v has %d backends, at most %d allowed",
			ErrCapacity, fe, len(s.Backends), MaxBackendsPerService)
	}
	p := prepared{key: svcKeyOf(fe), bes: make([]lbBackend, len(s.Backends)), keys: make([]lbRevnatKey, len(s.Backends))}
	var seen map[lbRevnatKey]struct{}
	if len(s.Backends) > 16 {
		seen = make(map[lbRevnatKey]struct{}, len(s.Backends))
	}
	for i := range s.Backends {
		b := &s.Backends[i]
		switch {
		case !b.Addr.Addr().Is4():
			return prepared{}, fmt.Errorf("%w: frontend %v: backend %v: not IPv4", ErrUnsupported, fe, b)
		case b.Protocol != fe.Protocol:
			return prepared{}, fmt.Errorf("%w: frontend %v: backend %v: protocol differs from the frontend's", ErrUnsupported, fe, b)
		case b.Addr.Port() == 0:
			return prepared{}, fmt.Errorf("%w: frontend %v: backend %v: port 0", ErrUnsupported, fe, b)
		case b.State > mesh.BackendMaintenance:
			return prepared{}, fmt.Errorf("%w: frontend %v: backend %v: unknown state", ErrUnsupported, fe, b)
		}
		p.keys[i] = backendKeyOf(b)
		if seen != nil {
			if _, dup := seen[p.keys[i]]; dup {
				return prepared{}, fmt.Errorf("%w: frontend %v lists backend %v twice", ErrDuplicate, fe, b.Addr)
			}
			seen[p.keys[i]] = struct{}{}
		} else if slices.Contains(p.keys[:i], p.keys[i]) {
			return prepared{}, fmt.Errorf("%w: frontend %v lists backend %v twice", ErrDuplicate, fe, b.Addr)
		}
		p.bes[i] = lbBackend{Addr: p.keys[i].Addr, Port: p.keys[i].Port, Proto: p.keys[i].Proto,
			State: uint8(b.State), ClusterId: b.ClusterID}
	}
	p.cidx = s.maglevIndexes()
	if n := len(p.cidx); n > int(d.opts.MaglevTableSize) {
		return prepared{}, fmt.Errorf("%w: frontend %v has %d Maglev backends for M = %d",
			ErrTooManyBackends, fe, n, d.opts.MaglevTableSize)
	}
	p.cand = s.backendsAt(p.cidx)
	return p, nil
}
