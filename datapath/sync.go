package datapath

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// SyncStats counts the map entries one write operation wrote and deleted, and the
// syscalls it used. A Maglev row is one entry of M backend IDs.
type SyncStats struct {
	ServicesWritten, ServicesDeleted int
	// BackendsWritten counts backend slots set; BackendsDeleted counts slots cleared.
	BackendsWritten, BackendsDeleted int
	RevNATWritten, RevNATDeleted     int
	MaglevWritten, MaglevDeleted     int
	EgressWritten, EgressDeleted     int
	L2Written, L2Deleted             int
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
	p, err := d.prepare(&s)
	if err != nil {
		return SyncStats{}, err
	}
	return d.apply([]prepared{p}, nil)
}

// DeleteService removes a frontend, its backends, reverse NAT entries and Maglev row. It
// returns ErrNotFound when the frontend is not programmed.
func (d *Datapath) DeleteService(fe mesh.Frontend) (SyncStats, error) {
	k := svcKeyOf(fe)
	if !fe.Addr.Addr().Is4() {
		return SyncStats{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	if _, ok := d.st.svcs[k]; !ok {
		return SyncStats{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	return d.apply(nil, []lbSvcKey{k})
}

// Sync makes the maps hold exactly the desired services: it validates the whole set
// first (nothing is written when any service is invalid or the set exceeds a capacity),
// then writes only the entries that differ, with batch operations, and deletes the
// frontends not in the set. New entries are written before the services that use them,
// and removed ones are deleted after, so that traffic to unchanged services keeps flowing.
func (d *Datapath) Sync(desired []Service) (SyncStats, error) {
	puts := make([]prepared, len(desired))
	want := make(map[lbSvcKey]struct{}, len(desired))
	for i := range desired {
		p, err := d.prepare(&desired[i])
		if err != nil {
			return SyncStats{}, err
		}
		puts[i] = p
		want[p.key] = struct{}{}
	}
	var dels []lbSvcKey
	for k := range d.st.svcs {
		if _, ok := want[k]; !ok {
			dels = append(dels, k)
		}
	}
	return d.apply(puts, dels)
}

// plan is the set of map writes of one operation.
type plan struct {
	beIDs   []uint32
	beVals  []lbBackend
	rnKeys  []lbRevnatKey
	rnVals  []lbRevnatVal
	svcKeys []lbSvcKey
	svcVals []lbSvcVal
	svcRecs []*svcRec
	rows    []row
	svcDel  []lbSvcKey
	rowDel  map[uint32]struct{} // Maglev rows to delete, by service ID
	rnDel   []lbRevnatKey
	beZero  map[uint32]struct{} // backend IDs to clear
	freeSvc []uint32
	freeBE  []uint32
}

// row is a Maglev row to write.
type row struct {
	id   uint32
	cand []mesh.Backend
	ids  []uint32 // backend ID of each cand
}

// apply validates and writes puts and deletes dels (frontends not in puts).
func (d *Datapath) apply(puts []prepared, dels []lbSvcKey) (SyncStats, error) {
	start := time.Now()
	st := d.st
	owner := make(map[lbRevnatKey]lbSvcKey)
	affected := make(map[lbSvcKey]struct{}, len(puts)+len(dels))
	newSvcs, added := 0, 0
	for i := range puts {
		p := &puts[i]
		if _, dup := affected[p.key]; dup {
			return SyncStats{}, fmt.Errorf("%w: frontend %v listed twice", ErrDuplicate, p.key.frontend())
		}
		affected[p.key] = struct{}{}
		if _, ok := st.svcs[p.key]; !ok {
			newSvcs++
		}
		for _, k := range p.keys {
			if o, dup := owner[k]; dup {
				return SyncStats{}, fmt.Errorf("%w: backend %v under frontends %v and %v",
					ErrDuplicate, k.addrPort(), o.frontend(), p.key.frontend())
			}
			owner[k] = p.key
		}
	}
	delSvcs := 0
	for _, k := range dels {
		if _, ok := st.svcs[k]; ok {
			affected[k] = struct{}{}
			delSvcs++
		}
	}
	for k, fe := range owner {
		id, ok := st.bes[k]
		if !ok {
			added++
			continue
		}
		if o := st.byID[st.beVals[id].SvcId]; !isIn(affected, o) {
			return SyncStats{}, fmt.Errorf("%w: backend %v of frontend %v already belongs to frontend %v",
				ErrDuplicate, k.addrPort(), fe.frontend(), o.frontend())
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
			if _, kept := owner[bk]; kept {
				continue
			}
			removed++
			pl.beZero[id] = struct{}{}
			pl.freeBE = append(pl.freeBE, id)
			if _, ok := st.revnat[bk]; ok {
				pl.rnDel = append(pl.rnDel, bk)
			}
		}
	}
	for _, k := range dels {
		rec, ok := st.svcs[k]
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
		return id
	}

	m := d.opts.MaglevTableSize
	for i := range puts {
		p := &puts[i]
		rec := st.svcs[p.key]
		var sid uint32
		if rec != nil {
			sid = rec.val.Id
		} else {
			sid = allocSvc()
		}
		ids := make([]uint32, len(p.bes))
		for j, bk := range p.keys {
			id, ok := st.bes[bk]
			if !ok {
				id = allocBE()
			}
			ids[j] = id
			v := p.bes[j]
			v.SvcId = sid
			if st.beVals[id] != v {
				pl.beIDs = append(pl.beIDs, id)
				pl.beVals = append(pl.beVals, v)
			}
			rn := lbRevnatVal{Vip: p.key.Vip, Port: p.key.Port, SvcId: sid}
			if old, ok := st.revnat[bk]; !ok || old != rn {
				pl.rnKeys = append(pl.rnKeys, bk)
				pl.rnVals = append(pl.rnVals, rn)
			}
		}
		cids := make([]uint32, len(p.cidx))
		for j, x := range p.cidx {
			cids[j] = ids[x]
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
		pl.svcRecs = append(pl.svcRecs, &svcRec{val: sv, ids: ids})
	}

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
	st := d.st
	var s SyncStats
	if err := batchUpdate(d.objs.CikLbBackend, "backends", pl.beIDs, pl.beVals, &s.Syscalls); err != nil {
		return s, err
	}
	s.BackendsWritten = len(pl.beIDs)
	for i, id := range pl.beIDs {
		st.beVals[id] = pl.beVals[i]
		st.bes[pl.beVals[i].key()] = id
	}
	if err := batchUpdate(d.objs.CikLbRevnat, "reverse NAT", pl.rnKeys, pl.rnVals, &s.Syscalls); err != nil {
		return s, err
	}
	s.RevNATWritten = len(pl.rnKeys)
	for i, k := range pl.rnKeys {
		st.revnat[k] = pl.rnVals[i]
	}
	t0 := time.Now()
	n, err := d.writeRows(pl.rows, &s.Syscalls)
	s.MaglevWritten, s.MaglevDuration = n, time.Since(t0)
	if err != nil {
		return s, err
	}
	if err := batchUpdate(d.objs.CikLbSvc, "services", pl.svcKeys, pl.svcVals, &s.Syscalls); err != nil {
		return s, err
	}
	s.ServicesWritten = len(pl.svcKeys)
	for i := range puts {
		k, rec := puts[i].key, pl.svcRecs[i]
		st.svcs[k] = rec
		st.byID[rec.val.Id] = k
	}

	if err := batchDelete(d.objs.CikLbSvc, "services", pl.svcDel, &s.Syscalls); err != nil {
		return s, err
	}
	s.ServicesDeleted = len(pl.svcDel)
	for _, k := range pl.svcDel {
		if id := st.svcs[k].val.Id; st.byID[id] == k {
			delete(st.byID, id)
		}
		delete(st.svcs, k)
	}
	rowDel := keysOf(pl.rowDel)
	if err := batchDelete(d.objs.CikLbMaglev, "Maglev", rowDel, &s.Syscalls); err != nil {
		return s, err
	}
	s.MaglevDeleted = len(rowDel)
	if err := batchDelete(d.objs.CikLbRevnat, "reverse NAT", pl.rnDel, &s.Syscalls); err != nil {
		return s, err
	}
	s.RevNATDeleted = len(pl.rnDel)
	for _, k := range pl.rnDel {
		delete(st.revnat, k)
	}
	zero := keysOf(pl.beZero)
	if err := batchUpdate(d.objs.CikLbBackend, "backends", zero, make([]lbBackend, len(zero)), &s.Syscalls); err != nil {
		return s, err
	}
	s.BackendsDeleted = len(zero)
	for _, id := range zero {
		if k := st.beVals[id].key(); st.bes[k] == id {
			delete(st.bes, k)
		}
		st.beVals[id] = lbBackend{}
	}
	st.svcIDs.free = append(st.svcIDs.free, pl.freeSvc...)
	st.beIDs.free = append(st.beIDs.free, pl.freeBE...)
	return s, nil
}

// writeRows fills and writes Maglev rows, a few MiB per batch syscall.
func (d *Datapath) writeRows(rows []row, syscalls *int) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	m := int(d.opts.MaglevTableSize)
	chunk := max(1, min(len(rows), (4<<20)/(4*m)))
	keys := make([]uint32, 0, chunk)
	// The batch API wants one value per key: a slice of [M]uint32, built by reflection
	// since M is known at run time, and filled through a flat []uint32 view.
	rowsVal := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(m, reflect.TypeFor[uint32]())), chunk, chunk)
	buf := unsafe.Slice((*uint32)(rowsVal.UnsafePointer()), chunk*m)
	written := 0
	for start := 0; start < len(rows); start += chunk {
		keys = keys[:0]
		for j, r := range rows[start:min(start+chunk, len(rows))] {
			t := buf[j*m : (j+1)*m]
			if err := d.maglev.Fill(t, r.cand); err != nil {
				return written, fmt.Errorf("service ID %d: %w", r.id, err)
			}
			for x := range t {
				t[x] = r.ids[t[x]]
			}
			keys = append(keys, r.id)
		}
		if err := batchUpdate(d.objs.CikLbMaglev, "Maglev", keys, rowsVal.Slice(0, len(keys)).Interface(), syscalls); err != nil {
			return written, err
		}
		written += len(keys)
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

func isIn(set map[lbSvcKey]struct{}, k lbSvcKey) bool {
	_, ok := set[k]
	return ok
}
