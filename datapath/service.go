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

// Service is a frontend and its backends as the datapath programs them. IPv4 and IPv6
// TCP and UDP frontends are supported; every backend must be of the frontend's address
// family and protocol, and a backend (address, port, protocol) may belong to one
// frontend only.
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
func (s *Service) maglevIndexes() []int { return s.appendMaglevIndexes(nil) }

// appendMaglevIndexes appends the indexes in s.Backends of MaglevBackends to dst.
func (s *Service) appendMaglevIndexes(dst []int) []int {
	preferred := false
	for i := range s.Backends {
		if b := &s.Backends[i]; b.State == lb.BackendActive && b.Preferred {
			preferred = true
			break
		}
	}
	for i := range s.Backends {
		if b := &s.Backends[i]; b.State == lb.BackendActive && (b.Preferred || !preferred) {
			dst = append(dst, i)
		}
	}
	return dst
}

// prepared is a validated service converted to map values. It is small, as a resync
// holds one per service: the converted values are behind a pointer.
type prepared struct {
	key svcKey
	// skip is the programmed record of a service identical to the input of its last
	// successful write (conv is nil then): the operation leaves it as it is.
	skip *svcRec
	*conv
}

// conv is the conversion of a prepared service.
type conv struct {
	bes  []backendEntry // SvcId left 0
	keys []revnatKey    // backend keys, parallel to bes
	cand []maglev.Backend
	cidx []int       // index in bes of each cand
	in   []inBackend // the input, remembered after a successful write
}

// arena hands out the slices of prepared services from shared blocks, so that
// preparing many services allocates a few large blocks instead of several small slices
// each. The zero value is ready to use; it is not safe for concurrent use.
type arena struct {
	bes  []backendEntry
	keys []revnatKey
	cand []maglev.Backend
	idx  []int
	conv []conv
}

// carve returns the first n elements of *blk (full slice capped at n), allocating a new
// block of at least 4096 elements when *blk is too short.
func carve[T any](blk *[]T, n int) []T {
	if len(*blk) < n {
		*blk = make([]T, max(n, 4096))
	}
	out := (*blk)[:n:n]
	*blk = (*blk)[n:]
	return out
}

// prepare validates s against the programs' and maps' limits and converts it.
func (d *Datapath) prepare(s *Service) (prepared, error) {
	var a arena
	return d.prepareIn(s, &a)
}

// prepareIn is prepare with the slices taken from a.
func (d *Datapath) prepareIn(s *Service, a *arena) (prepared, error) {
	fe := s.Frontend
	if err := checkFrontend(fe); err != nil {
		return prepared{}, err
	}
	if len(s.Backends) > MaxBackendsPerService {
		return prepared{}, fmt.Errorf("%w: frontend %v has %d backends, at most %d allowed",
			ErrCapacity, fe, len(s.Backends), MaxBackendsPerService)
	}
	n := len(s.Backends)
	if len(a.conv) == 0 {
		a.conv = make([]conv, 256)
	}
	key, _, err := d.addrs.svcKey(fe, true)
	if err != nil {
		return prepared{}, fmt.Errorf("frontend %v: %w", fe, err)
	}
	p := prepared{key: key, conv: &a.conv[0]}
	a.conv = a.conv[1:]
	if a == nil || n > 1024 {
		p.bes, p.keys = make([]backendEntry, n), make([]revnatKey, n)
	} else {
		p.bes, p.keys = carve(&a.bes, n), carve(&a.keys, n)
	}
	var seen map[revnatKey]struct{}
	if len(s.Backends) > 16 {
		seen = make(map[revnatKey]struct{}, len(s.Backends))
	}
	for i := range s.Backends {
		b := &s.Backends[i]
		if err := checkBackend(fe, b); err != nil {
			return prepared{}, err
		}
		if p.keys[i], _, err = d.addrs.backendKey(&b.Backend, true); err != nil {
			return prepared{}, fmt.Errorf("frontend %v: backend %v: %w", fe, b.Addr, err)
		}
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
	if n > 1024 {
		p.cidx = s.maglevIndexes()
	} else {
		p.cidx = s.appendMaglevIndexes(carve(&a.idx, n)[:0])
	}
	if n := len(p.cidx); n > int(d.opts.MaglevTableSize) {
		return prepared{}, fmt.Errorf("%w: frontend %v has %d Maglev backends for M = %d",
			maglev.ErrTooManyBackends, fe, n, d.opts.MaglevTableSize)
	}
	if len(p.cidx) > 1024 {
		p.cand = make([]maglev.Backend, len(p.cidx))
	} else {
		p.cand = carve(&a.cand, len(p.cidx))
	}
	for i, j := range p.cidx {
		p.cand[i] = maglev.Backend{Addr: s.Backends[j].Addr, Protocol: uint8(s.Backends[j].Protocol)}
	}
	p.in = inputOf(s.Backends)
	return p, nil
}

// prepareAll validates and converts services, on up to GOMAXPROCS goroutines for large
// sets; the error is that of the first invalid service. A service identical to the input
// of the last successful write of its frontend is neither validated nor converted again:
// its prepared has only key and skip set.
func (d *Datapath) prepareAll(desired []Service) ([]prepared, error) {
	puts := make([]prepared, len(desired))
	workers := min(runtime.GOMAXPROCS(0), len(desired)/2048+1)
	errs := make([]error, workers) // first error of each worker's range, in order
	per := (len(desired) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a arena
			for i := w * per; i < min((w+1)*per, len(desired)); i++ {
				if rec := d.unchanged(i, &desired[i]); rec != nil {
					key, _, _ := d.addrs.svcKey(desired[i].Frontend, false) // found by unchanged
					puts[i] = prepared{key: key, skip: rec}
					continue
				}
				var err error
				if puts[i], err = d.prepareIn(&desired[i], &a); err != nil {
					errs[w] = err
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
