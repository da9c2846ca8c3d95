package datapath

import (
	"fmt"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

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
func (d *Datapath) DeleteService(fe lb.Frontend) (SyncStats, error) {
	k, ok, _ := d.addrs.svcKey(fe, false)
	if !ok {
		return SyncStats{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	if _, ok := d.st.svcs[k.u64()]; !ok {
		return SyncStats{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	return d.apply(time.Now(), nil, []svcKey{k})
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
	return d.applyAll(start, puts, nil, true)
}

// apply plans the writes of puts and dels (nothing is written when the plan is refused),
// then executes them. When a write fails the mirror is rebuilt from the maps.
func (d *Datapath) apply(start time.Time, puts []prepared, dels []svcKey) (SyncStats, error) {
	return d.applyAll(start, puts, dels, false)
}

// applyAll is apply; with all set every frontend not in puts is deleted.
func (d *Datapath) applyAll(start time.Time, puts []prepared, dels []svcKey, all bool) (SyncStats, error) {
	pl, err := d.planWritesAll(puts, dels, all)
	if err != nil {
		return SyncStats{}, err
	}
	stats, err := d.execute(puts, pl)
	stats.Duration = time.Since(start)
	if err != nil {
		// The rebuilt mirror remembers no inputs; the old one must not either, as the
		// maps may hold part of the operation.
		if st2, rerr := d.readState(); rerr == nil {
			d.st = st2
		} else {
			d.st.forgetInputs()
		}
		d.order = nil
		return stats, err
	}
	d.remember(puts, pl, all)
	d.collectAddrs()
	return stats, nil
}
