package datapath

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
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

// plan is the set of map writes of one operation.
type plan struct {
	beIDs    []uint32
	beVals   []lbBackend
	rnKeys   []lbRevnatKey
	rnVals   []lbRevnatVal
	rnIDs    []uint32 // backend ID of each rnKeys entry
	svcKeys  []lbSvcKey
	svcVals  []lbSvcVal
	svcRecs  []*svcRec
	rows     []row
	svcDel   []lbSvcKey
	rowDel   map[uint32]struct{} // Maglev rows to delete, by service ID
	rnDel    []lbRevnatKey
	rnDelIDs []uint32            // backend ID of each rnDel entry, 0 for orphans
	beZero   map[uint32]struct{} // backend IDs to clear
	freeSvc  []uint32
	freeBE   []uint32
	// deleteFirst runs deletes before writes: a map would overflow holding old and new
	// entries at once (the maps are full), so removed entries go first.
	deleteFirst bool
}

// row is a Maglev row to write.
type row struct {
	id   uint32
	cand []mesh.Backend
	ids  []uint32 // backend ID of each cand
}

// apply validates and writes puts and deletes dels (frontends not in puts).
func (d *Datapath) apply(start time.Time, puts []prepared, dels []lbSvcKey) (SyncStats, error) {
	st := d.st
	affected := make(map[uint64]struct{}, len(puts)+len(dels))
	newSvcs, nbe := 0, 0
	for i := range puts {
		p := &puts[i]
		pk := p.key.u64()
		if _, dup := affected[pk]; dup {
			return SyncStats{}, fmt.Errorf("%w: frontend %v listed twice", ErrDuplicate, p.key.frontend())
		}
		affected[pk] = struct{}{}
		if _, ok := st.svcs[pk]; !ok {
			newSvcs++
		}
		nbe += len(p.keys)
	}
	delSvcs := 0
	for _, k := range dels {
		if _, ok := st.svcs[k.u64()]; ok {
			affected[k.u64()] = struct{}{}
			delSvcs++
		}
	}
	// Every backend has one owner; an existing backend keeps its ID and may move only
	// from a frontend this operation rewrites or deletes.
	owner := make(map[uint64]int32, nbe) // backend key -> index in puts
	found := make([]uint32, nbe)         // existing backend ID per put backend, 0 = new
	added, x := 0, 0
	for i := range puts {
		p := &puts[i]
		for _, k := range p.keys {
			ku := k.u64()
			if o, dup := owner[ku]; dup {
				return SyncStats{}, fmt.Errorf("%w: backend %v under frontends %v and %v",
					ErrDuplicate, k.addrPort(), puts[o].key.frontend(), p.key.frontend())
			}
			owner[ku] = int32(i)
			if id, ok := st.bes[ku]; ok {
				if o := st.byID[st.beVals[id].SvcId]; !isIn(affected, o) {
					return SyncStats{}, fmt.Errorf("%w: backend %v of frontend %v already belongs to frontend %v",
						ErrDuplicate, k.addrPort(), p.key.frontend(), svcKeyFrom64(o).frontend())
				}
				found[x] = id
			} else {
				added++
			}
			x++
		}
	}

	var pl plan
	pl.rowDel = map[uint32]struct{}{}
	pl.beZero = map[uint32]struct{}{}
	removed := 0
	for k := range affected {
		rec, ok := st.svcs[k]
		if !ok {
			continue
		}
		for _, id := range rec.ids {
			bk := st.beVals[id].key()
			if _, kept := owner[bk.u64()]; kept {
				continue
			}
			removed++
			pl.beZero[id] = struct{}{}
			pl.freeBE = append(pl.freeBE, id)
			if st.rn[id] != rnAbsent {
				pl.rnDel = append(pl.rnDel, bk)
				pl.rnDelIDs = append(pl.rnDelIDs, id)
			}
		}
	}
	for _, k := range st.rnOrphans {
		if _, kept := owner[k.u64()]; !kept {
			pl.rnDel = append(pl.rnDel, k)
			pl.rnDelIDs = append(pl.rnDelIDs, 0)
		}
	}
	for _, k := range dels {
		rec, ok := st.svcs[k.u64()]
		if !ok {
			continue // dels never overlap puts
		}
		pl.svcDel = append(pl.svcDel, k)
		pl.freeSvc = append(pl.freeSvc, rec.val.Id)
		if rec.val.Count > 0 {
			pl.rowDel[rec.val.Id] = struct{}{}
		}
	}
	if n := len(st.svcs) + newSvcs - delSvcs; n > int(d.opts.MaxServices) {
		return SyncStats{}, fmt.Errorf("%w: %d services, the services map holds %d", ErrCapacity, n, d.opts.MaxServices)
	}
	if n := len(st.bes) + added - removed; n > int(d.opts.MaxBackends) {
		return SyncStats{}, fmt.Errorf("%w: %d backends, the backends map holds %d", ErrCapacity, n, d.opts.MaxBackends)
	}

	// Reverse NAT entries in the map now, before the plan changes the mirror.
	rnPresent := len(st.rnOrphans)
	for _, r := range st.rn {
		if r != rnAbsent {
			rnPresent++
		}
	}
	// IDs freed by this operation are reused only when no other ID is left; a reused ID
	// is then no longer cleared.
	allocSvc := func() uint32 {
		if id, ok := st.svcIDs.alloc(); ok {
			return id
		}
		id := pl.freeSvc[len(pl.freeSvc)-1]
		pl.freeSvc = pl.freeSvc[:len(pl.freeSvc)-1]
		delete(pl.rowDel, id)
		return id
	}
	allocBE := func() uint32 {
		if id, ok := st.beIDs.alloc(); ok {
			return id
		}
		id := pl.freeBE[len(pl.freeBE)-1]
		pl.freeBE = pl.freeBE[:len(pl.freeBE)-1]
		delete(pl.beZero, id)
		for i, x := range pl.rnDelIDs {
			if x == id {
				pl.rnDelIDs[i] = 0 // the slot's new reverse NAT state is set by the write
			}
		}
		// The old backend's reverse NAT entry is deleted and its slot overwritten: forget
		// it in the mirror now, as the clearing of the slot is skipped.
		st.rn[id] = rnAbsent
		if k := st.beVals[id].key().u64(); st.bes[k] == id {
			delete(st.bes, k)
		}
		return id
	}

	m := d.opts.MaglevTableSize
	pl.svcRecs = make([]*svcRec, len(puts))
	pl.beIDs, pl.beVals = make([]uint32, 0, nbe), make([]lbBackend, 0, nbe)
	pl.rnKeys, pl.rnVals, pl.rnIDs = make([]lbRevnatKey, 0, nbe), make([]lbRevnatVal, 0, nbe), make([]uint32, 0, nbe)
	pl.svcKeys, pl.svcVals = make([]lbSvcKey, 0, len(puts)), make([]lbSvcVal, 0, len(puts))
	if len(st.bes) == 0 && added > 0 {
		st.bes = make(map[uint64]uint32, added)
	}
	if len(st.svcs) == 0 && len(puts) > 0 {
		st.svcs = make(map[uint64]*svcRec, len(puts))
	}
	recs := make([]svcRec, len(puts))
	rnNew := 0 // reverse NAT keys not yet in the map
	idSlab := make([]uint32, nbe)
	x = 0
	for i := range puts {
		p := &puts[i]
		rec := st.svcs[p.key.u64()]
		var sid uint32
		if rec != nil {
			sid = rec.val.Id
		} else {
			sid = allocSvc()
		}
		ids := idSlab[:len(p.bes):len(p.bes)]
		idSlab = idSlab[len(p.bes):]
		for j, bk := range p.keys {
			id := found[x]
			x++
			if id == 0 {
				id = allocBE()
			}
			ids[j] = id
			old := st.beVals[id]
			v := p.bes[j]
			v.SvcId = sid
			if old != v {
				pl.beIDs = append(pl.beIDs, id)
				pl.beVals = append(pl.beVals, v)
			}
			if rec == nil || old.SvcId != sid || st.rn[id] != rnOK {
				if found[x-1] == 0 || st.rn[id] == rnAbsent {
					rnNew++
				}
				pl.rnKeys = append(pl.rnKeys, bk)
				pl.rnVals = append(pl.rnVals, revnatOf(p.key, sid))
				pl.rnIDs = append(pl.rnIDs, id)
			}
		}
		cids := make([]uint32, len(p.cidx))
		for j, c := range p.cidx {
			cids[j] = ids[c]
		}
		sv := lbSvcVal{Id: sid, Count: uint16(len(cids)), Fingerprint: fingerprint(m, p.cand, cids)}
		if len(cids) > 0 && (rec == nil || rec.val.Count == 0 || rec.val.Fingerprint != sv.Fingerprint) {
			pl.rows = append(pl.rows, row{id: sid, cand: p.cand, ids: cids})
		}
		if len(cids) == 0 && rec != nil && rec.val.Count > 0 {
			pl.rowDel[sid] = struct{}{}
		}
		if rec == nil || rec.val != sv {
			pl.svcKeys = append(pl.svcKeys, p.key)
			pl.svcVals = append(pl.svcVals, sv)
		}
		recs[i] = svcRec{val: sv, ids: ids}
		pl.svcRecs[i] = &recs[i]
	}

	pl.deleteFirst = len(st.svcs)+newSvcs > int(d.opts.MaxServices) || rnPresent+rnNew > int(d.opts.MaxBackends)
	stats, err := d.execute(puts, &pl)
	stats.Duration = time.Since(start)
	if err != nil {
		if st2, rerr := d.readState(); rerr == nil {
			d.st = st2
		}
		return stats, err
	}
	return stats, nil
}

// execute writes a plan in traffic-safe order and updates the mirror.
func (d *Datapath) execute(puts []prepared, pl *plan) (SyncStats, error) {
	var s SyncStats
	if pl.deleteFirst {
		if err := d.deletes(pl, &s); err != nil {
			return s, err
		}
		return s, d.writes(puts, pl, &s)
	}
	if err := d.writes(puts, pl, &s); err != nil {
		return s, err
	}
	return s, d.deletes(pl, &s)
}

// writes writes new and changed entries: backends and reverse NAT, Maglev rows, services.
func (d *Datapath) writes(puts []prepared, pl *plan, s *SyncStats) error {
	st := d.st
	// Backends and reverse NAT entries are independent: write them concurrently, and
	// update the mirror meanwhile (on error the mirror is rebuilt from the maps).
	var beCalls int
	beErr := make(chan error, 1)
	go func() {
		beErr <- batchUpdate(d.objs.CikLbBackend, "backends", pl.beIDs, pl.beVals, &beCalls)
	}()
	rnErr := batchUpdate(d.objs.CikLbRevnat, "reverse NAT", pl.rnKeys, pl.rnVals, &s.Syscalls)
	for i, id := range pl.beIDs {
		st.beVals[id] = pl.beVals[i]
		st.bes[pl.beVals[i].key().u64()] = id
	}
	for _, id := range pl.rnIDs {
		st.rn[id] = rnOK
	}
	err := <-beErr
	s.Syscalls += beCalls
	if err != nil {
		return err
	}
	s.BackendsWritten = len(pl.beIDs)
	if rnErr != nil {
		return rnErr
	}
	s.RevNATWritten = len(pl.rnKeys)
	t0 := time.Now()
	n, err := d.writeRows(pl.rows, &s.Syscalls)
	s.MaglevWritten, s.MaglevDuration = n, time.Since(t0)
	if err != nil {
		return err
	}
	if err := batchUpdate(d.objs.CikLbSvc, "services", pl.svcKeys, pl.svcVals, &s.Syscalls); err != nil {
		return err
	}
	s.ServicesWritten = len(pl.svcKeys)
	for i := range puts {
		k, rec := puts[i].key, pl.svcRecs[i]
		st.svcs[k.u64()] = rec
		st.byID[rec.val.Id] = k.u64()
	}
	return nil
}

// deletes deletes removed entries: services, Maglev rows, reverse NAT, backends.
func (d *Datapath) deletes(pl *plan, s *SyncStats) error {
	st := d.st
	if err := batchDelete(d.objs.CikLbSvc, "services", pl.svcDel, &s.Syscalls); err != nil {
		return err
	}
	s.ServicesDeleted = len(pl.svcDel)
	for _, k := range pl.svcDel {
		if id := st.svcs[k.u64()].val.Id; st.byID[id] == k.u64() {
			st.byID[id] = 0
		}
		delete(st.svcs, k.u64())
	}
	rowDel := keysOf(pl.rowDel)
	if !d.maglevArray {
		if err := batchDelete(d.objs.CikLbMaglev, "Maglev", rowDel, &s.Syscalls); err != nil {
			return err
		}
	}
	s.MaglevDeleted = len(rowDel)
	if err := batchDelete(d.objs.CikLbRevnat, "reverse NAT", pl.rnDel, &s.Syscalls); err != nil {
		return err
	}
	s.RevNATDeleted = len(pl.rnDel)
	for _, id := range pl.rnDelIDs {
		st.rn[id] = rnAbsent
	}
	st.rnOrphans = nil
	zero := keysOf(pl.beZero)
	if err := batchUpdate(d.objs.CikLbBackend, "backends", zero, make([]lbBackend, len(zero)), &s.Syscalls); err != nil {
		return err
	}
	s.BackendsDeleted = len(zero)
	for _, id := range zero {
		if k := st.beVals[id].key().u64(); st.bes[k] == id {
			delete(st.bes, k)
		}
		st.beVals[id] = lbBackend{}
	}
	st.svcIDs.free = append(st.svcIDs.free, pl.freeSvc...)
	st.beIDs.free = append(st.beIDs.free, pl.freeBE...)
	return nil
}

// rowBatch is a buffer of Maglev rows for one batch syscall.
type rowBatch struct {
	keys []uint32
	vals reflect.Value // []([M]uint32) over buf
	buf  []uint32
	err  error
}

// writeRows fills and writes Maglev rows, a few MiB per batch syscall. One goroutine
// fills the next batch while this one writes the previous.
func (d *Datapath) writeRows(rows []row, syscalls *int) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	m := int(d.opts.MaglevTableSize)
	chunk := max(1, min(len(rows), (4<<20)/(4*m)))
	free, full := make(chan *rowBatch, 2), make(chan *rowBatch, 2)
	for range 2 {
		// The batch API wants one value per key: a slice of [M]uint32, built by
		// reflection since M is known at run time, filled through a flat []uint32 view.
		v := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(m, reflect.TypeFor[uint32]())), chunk, chunk)
		free <- &rowBatch{keys: make([]uint32, 0, chunk), vals: v, buf: unsafe.Slice((*uint32)(v.UnsafePointer()), chunk*m)}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(full)
		for start := 0; start < len(rows); start += chunk {
			var rb *rowBatch
			select {
			case rb = <-free:
			case <-done:
				return
			}
			rb.keys = rb.keys[:0]
			for j, r := range rows[start:min(start+chunk, len(rows))] {
				t := rb.buf[j*m : (j+1)*m]
				if rb.err = d.maglev.Fill(t, r.cand); rb.err != nil {
					rb.err = fmt.Errorf("service ID %d: %w", r.id, rb.err)
					break
				}
				for x := range t {
					t[x] = r.ids[t[x]]
				}
				rb.keys = append(rb.keys, r.id)
			}
			full <- rb
			if rb.err != nil {
				return
			}
		}
	}()
	written := 0
	for rb := range full {
		if rb.err != nil {
			return written, rb.err
		}
		if err := batchUpdate(d.objs.CikLbMaglev, "Maglev", rb.keys, rb.vals.Slice(0, len(rb.keys)).Interface(), syscalls); err != nil {
			return written, err
		}
		written += len(rb.keys)
		free <- rb
	}
	return written, nil
}

// fingerprint identifies a Maglev row's inputs: M and each candidate backend with its ID.
// It does not depend on the candidates' order.
func fingerprint(m uint32, cand []mesh.Backend, ids []uint32) uint64 {
	if len(cand) == 0 {
		return 0
	}
	sum := mix64(uint64(m)<<32 | uint64(len(cand)))
	for i := range cand {
		h1, _ := backendHash(&cand[i])
		sum += mix64(h1 ^ uint64(ids[i])*0x9e3779b97f4a7c15)
	}
	return sum | 1
}

// batchUpdate writes keys and vals (a slice of the same length) with one syscall, or one
// per entry for maps without batch support (LPM tries).
func batchUpdate[K, V any](m *ebpf.Map, name string, keys []K, vals V, syscalls *int) error {
	if len(keys) == 0 {
		return nil
	}
	*syscalls++
	_, err := m.BatchUpdate(keys, vals, nil)
	if errors.Is(err, ebpf.ErrNotSupported) {
		*syscalls--
		rv := reflect.ValueOf(vals)
		for i := range keys {
			*syscalls++
			if err := m.Update(keys[i], rv.Index(i).Interface(), ebpf.UpdateAny); err != nil {
				return fmt.Errorf("%w: update of %s entry %v: %w", ErrMap, name, keys[i], err)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: batch update of %d %s entries: %w", ErrMap, len(keys), name, err)
	}
	return nil
}

// batchDelete deletes keys with one syscall, or one per key without batch support.
func batchDelete[K any](m *ebpf.Map, name string, keys []K, syscalls *int) error {
	if len(keys) == 0 {
		return nil
	}
	*syscalls++
	_, err := m.BatchDelete(keys, nil)
	if errors.Is(err, ebpf.ErrNotSupported) {
		*syscalls--
		for _, k := range keys {
			*syscalls++
			if err := m.Delete(k); err != nil {
				return fmt.Errorf("%w: delete of %s entry %v: %w", ErrMap, name, k, err)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: batch delete of %d %s entries: %w", ErrMap, len(keys), name, err)
	}
	return nil
}

func keysOf(m map[uint32]struct{}) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isIn(set map[uint64]struct{}, k uint64) bool {
	_, ok := set[k]
	return ok
}
