package datapath

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// SyncStats counts the map entries one write operation wrote and deleted, and the
// syscalls it used. A Maglev row is one entry of M backend IDs.
type SyncStats struct {
	// ServicesWritten and ServicesDeleted count service map entries.
	ServicesWritten, ServicesDeleted int
	// BackendsWritten counts backend slots set; BackendsDeleted counts slots cleared.
	BackendsWritten, BackendsDeleted int
	// RevNATWritten and RevNATDeleted count reverse NAT map entries.
	RevNATWritten, RevNATDeleted int
	// MaglevDeleted counts rows deleted, or released when the Maglev map is an array
	// (see MaglevArrayLimit; the row then stays in place unused, without a syscall).
	MaglevWritten, MaglevDeleted int
	EgressWritten, EgressDeleted int
	L2Written, L2Deleted         int
	// Syscalls counts the map update and delete syscalls issued (batch or single).
	Syscalls int
	// Duration is the wall time of the operation, validation included; MaglevDuration
	// is the part spent building and writing Maglev rows.
	Duration, MaglevDuration time.Duration
}

// Counts returns s without its durations, for comparisons.
func (s SyncStats) Counts() SyncStats {
	s.Duration, s.MaglevDuration = 0, 0
	return s
}

// Entries returns the number of entries written or deleted, all maps together.
func (s SyncStats) Entries() int {
	return s.ServicesWritten + s.ServicesDeleted + s.BackendsWritten + s.BackendsDeleted +
		s.RevNATWritten + s.RevNATDeleted + s.MaglevWritten + s.MaglevDeleted +
		s.EgressWritten + s.EgressDeleted + s.L2Written + s.L2Deleted
}

// UpsertService programs one service, writing only the entries that differ from what the
// maps hold. Its backends must not belong to another programmed frontend.
func (d *Datapath) UpsertService(s Service) (SyncStats, error) {
	start := time.Now()
	p, err := d.prepare(&s)
	if err != nil {
		return SyncStats{}, err
	}
	return d.apply(start, []prepared{p}, nil)
}

// DeleteService removes a frontend, its backends, reverse NAT entries and Maglev row. It
// returns ErrNotFound when the frontend is not programmed.
func (d *Datapath) DeleteService(fe mesh.Frontend) (SyncStats, error) {
	k := svcKeyOf(fe)
	if !fe.Addr.Addr().Is4() {
		return SyncStats{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	if _, ok := d.st.svcs[k.u64()]; !ok {
		return SyncStats{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	return d.apply(time.Now(), nil, []lbSvcKey{k})
}

// Sync makes the maps hold exactly the desired services: it validates the whole set
// first (nothing is written when any service is invalid or the set exceeds a capacity),
// then writes only the entries that differ, with batch operations, and deletes the
// frontends not in the set. New entries are written before the services that use them,
// and removed ones are deleted after, so that traffic to unchanged services keeps flowing.
func (d *Datapath) Sync(desired []Service) (SyncStats, error) {
	start := time.Now()
	puts, err := d.prepareAll(desired)
	if err != nil {
		return SyncStats{}, err
	}
	want := make(map[uint64]struct{}, len(desired))
	for i := range puts {
		want[puts[i].key.u64()] = struct{}{}
	}
	var dels []lbSvcKey
	for k := range d.st.svcs {
		if _, ok := want[k]; !ok {
			dels = append(dels, svcKeyFrom64(k))
		}
	}
	return d.apply(start, puts, dels)
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
