package datapath

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// MaxBackendsPerService is the most backends one service may have.
const MaxBackendsPerService = 65535

// Service is a frontend and its backends as the datapath programs them. Only IPv4 TCP
// and UDP frontends are supported; every backend must be IPv4 with the frontend's
// protocol, and a backend (address, port, protocol) may belong to one frontend only.
//
// Backends is the selection result as is: a program writes
//
//	datapath.Service{Frontend: fe, Backends: lb.Select(g, local, remote).Backends}
//
// (lb.Select(nil, backends, nil) for a service that is not global).
type Service struct {
	// Frontend is the VIP, port (non-zero) and protocol packets are load-balanced for.
	Frontend lb.Frontend
	// Backends are all of the service's backends, as lb.Select returns them. All are
	// written to the backends and reverse NAT maps (so replies of terminating backends
	// keep their frontend); only those MaglevBackends returns take new flows. Preferred
	// marks the backends the service's clustermesh affinity prefers (for example the
	// local cluster's under affinity "local"): while at least one of them is active, only
	// those fill the Maglev table; otherwise every active backend does. Remote and Zone
	// are not stored.
	Backends []lb.SelectedBackend
}

// MaglevBackends returns the backends that fill the service's Maglev table: the active
// backends marked Preferred if there is any, else all active backends, in the order of
// Backends. Terminating, quarantined and maintenance backends never take new flows. An
// empty result means packets for the frontend are dropped.
func (s *Service) MaglevBackends() []lb.SelectedBackend {
	idx := s.maglevIndexes()
	out := make([]lb.SelectedBackend, len(idx))
	for i, j := range idx {
		out[i] = s.Backends[j]
	}
	return out
}

// maglevIndexes returns the indexes in s.Backends of MaglevBackends.
func (s *Service) maglevIndexes() []int {
	var active, preferred []int
	for i := range s.Backends {
		b := &s.Backends[i]
		if b.State != lb.BackendActive {
			continue
		}
		active = append(active, i)
		if b.Preferred {
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
	key  svcKey
	bes  []backendEntry // SvcId left 0
	keys []revnatKey    // backend keys, parallel to bes
	cand []maglev.Backend
	cidx []int // index in bes of each cand
}

// prepare validates s against the programs' and maps' limits and converts it.
func (d *Datapath) prepare(s *Service) (prepared, error) {
	fe := s.Frontend
	if !fe.Addr.Addr().Is4() {
		return prepared{}, fmt.Errorf("%w: frontend %v: not IPv4", ErrUnsupported, fe)
	}
	if fe.Protocol != lb.TCP && fe.Protocol != lb.UDP {
		return prepared{}, fmt.Errorf("%w: frontend %v: protocol %v, want TCP or UDP", ErrUnsupported, fe, fe.Protocol)
	}
	if fe.Addr.Port() == 0 {
		return prepared{}, fmt.Errorf("%w: frontend %v: port 0", ErrUnsupported, fe)
	}
	if len(s.Backends) > MaxBackendsPerService {
		return prepared{}, fmt.Errorf("%w: frontend %v has %d backends, at most %d allowed",
			ErrCapacity, fe, len(s.Backends), MaxBackendsPerService)
	}
	p := prepared{key: svcKeyOf(fe), bes: make([]backendEntry, len(s.Backends)), keys: make([]revnatKey, len(s.Backends))}
	var seen map[revnatKey]struct{}
	if len(s.Backends) > 16 {
		seen = make(map[revnatKey]struct{}, len(s.Backends))
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
		case b.State > lb.BackendMaintenance:
			return prepared{}, fmt.Errorf("%w: frontend %v: backend %v: unknown state", ErrUnsupported, fe, b)
		}
		p.keys[i] = backendKeyOf(&b.Backend)
		if seen != nil {
			if _, dup := seen[p.keys[i]]; dup {
				return prepared{}, fmt.Errorf("%w: frontend %v lists backend %v twice", ErrDuplicate, fe, b.Addr)
			}
			seen[p.keys[i]] = struct{}{}
		} else if slices.Contains(p.keys[:i], p.keys[i]) {
			return prepared{}, fmt.Errorf("%w: frontend %v lists backend %v twice", ErrDuplicate, fe, b.Addr)
		}
		p.bes[i] = backendEntry{Addr: p.keys[i].Addr, Port: p.keys[i].Port, Proto: p.keys[i].Proto,
			State: uint8(b.State), ClusterId: b.ClusterID}
	}
	p.cidx = s.maglevIndexes()
	if n := len(p.cidx); n > int(d.opts.MaglevTableSize) {
		return prepared{}, fmt.Errorf("%w: frontend %v has %d Maglev backends for M = %d",
			maglev.ErrTooManyBackends, fe, n, d.opts.MaglevTableSize)
	}
	p.cand = make([]maglev.Backend, len(p.cidx))
	for i, j := range p.cidx {
		p.cand[i] = maglev.Backend{Addr: s.Backends[j].Addr, Protocol: uint8(s.Backends[j].Protocol)}
	}
	return p, nil
}

// prepareAll validates and converts services, on up to GOMAXPROCS goroutines for large
// sets; the error is that of the first invalid service.
func (d *Datapath) prepareAll(desired []Service) ([]prepared, error) {
	puts := make([]prepared, len(desired))
	errs := make([]error, len(desired))
	workers := min(runtime.GOMAXPROCS(0), len(desired)/2048+1)
	per := (len(desired) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * per; i < min((w+1)*per, len(desired)); i++ {
				puts[i], errs[i] = d.prepare(&desired[i])
				if errs[i] != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return puts, nil
}
