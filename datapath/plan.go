package datapath

import (
	"fmt"
	"slices"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// plan is the set of map writes of one operation.
type plan struct {
	beIDs    []uint32
	beVals   []backendEntry
	rnKeys   []revnatKey
	rnVals   []revnatVal
	rnIDs    []uint32 // backend ID of each rnKeys entry
	svcKeys  []svcKey
	svcVals  []svcVal
	svcRecs  []*svcRec // new record of each put, nil when the mirror keeps the old one
	oldRecs  []*svcRec // programmed record of each put, nil for a new frontend
	rows     []row
	svcDel   []svcKey
	rowDel   map[uint32]struct{} // Maglev rows to delete, by service ID
	rnDel    []revnatKey
	rnDelIDs []uint32            // backend ID of each rnDel entry, 0 for orphans
	beZero   map[uint32]struct{} // backend IDs to clear
	// crossZero are backend IDs reused for a backend of the other address family: their
	// slot in the old family's array is cleared, with crossZero6 telling which of them
	// held an IPv6 backend.
	crossZero  []uint32
	crossZero6 []bool
	freeSvc    []uint32
	freeBE     []uint32
	// deleteFirst runs deletes before writes: a map would overflow holding old and new
	// entries at once (the maps are full), so removed entries go first.
	deleteFirst bool
}

// row is a Maglev row to write.
type row struct {
	id   uint32
	cand []maglev.Backend
	ids  []uint32 // backend ID of each cand
}

// planWrites validates puts and dels (frontends not in puts) against the mirror and the
// maps' capacities and returns the map writes that make the maps hold them. It changes
// nothing when it returns an error; otherwise it has allocated the IDs of new services
// and backends in the mirror, and the plan must be executed (or the mirror rebuilt).
func (d *Datapath) planWrites(puts []prepared, dels []svcKey) (*plan, error) {
	return d.planWritesAll(puts, dels, false)
}

// planWritesAll is planWrites; with all set, dels is ignored and every programmed
// frontend not in puts is deleted (Sync).
func (d *Datapath) planWritesAll(puts []prepared, dels []svcKey, all bool) (*plan, error) {
	st := d.st
	e := st.nextEpoch()
	// svcMark of a service ID; IDs out of range (only in corrupted pinned maps) share
	// slot 0, which no valid service uses.
	mark := func(id uint32) *uint32 {
		if int(id) >= len(st.svcMark) {
			id = 0
		}
		return &st.svcMark[id]
	}
	// Frontends the operation rewrites or deletes are marked by service ID; new ones
	// (no ID yet) are checked for duplicates in a map of their own.
	var newKeys map[uint64]struct{}
	var affected []*svcRec // programmed services the operation rewrites or deletes
	putRecs := make([]*svcRec, len(puts))
	newSvcs, nbe, skipped := 0, 0, 0
	for i := range puts {
		p := &puts[i]
		if rec := p.skip; rec != nil {
			// Unchanged since its last write: only marked, as kept with its backends.
			if *mark(rec.val.Id) == e {
				return nil, fmt.Errorf("%w: frontend %v listed twice", ErrDuplicate, d.addrs.frontend(p.key))
			}
			*mark(rec.val.Id) = e
			putRecs[i] = rec
			skipped++
			continue
		}
		pk := p.key.u64()
		if rec, ok := st.svcs[pk]; ok {
			if *mark(rec.val.Id) == e {
				return nil, fmt.Errorf("%w: frontend %v listed twice", ErrDuplicate, d.addrs.frontend(p.key))
			}
			*mark(rec.val.Id) = e
			putRecs[i] = rec
			affected = append(affected, rec)
		} else {
			if newKeys == nil {
				newKeys = make(map[uint64]struct{}, len(puts)-i)
			}
			// One map operation: a key already there leaves the length unchanged.
			n := len(newKeys)
			if newKeys[pk] = struct{}{}; len(newKeys) == n {
				return nil, fmt.Errorf("%w: frontend %v listed twice", ErrDuplicate, d.addrs.frontend(p.key))
			}
			newSvcs++
		}
		nbe += len(p.keys)
	}
	if all {
		dels = nil
		for sid, k := range st.byID {
			if k == 0 || st.svcMark[sid] == e {
				continue
			}
			if rec, ok := st.svcs[k]; ok && rec.val.Id == uint32(sid) {
				dels = append(dels, svcKeyFrom64(k))
			}
		}
	}
	delSvcs := 0
	for _, k := range dels {
		if rec, ok := st.svcs[k.u64()]; ok && *mark(rec.val.Id) != e {
			*mark(rec.val.Id) = e
			affected = append(affected, rec)
			delSvcs++
		}
	}
	// Every backend has one owner; an existing backend keeps its ID and may move only
	// from a frontend this operation rewrites or deletes. Existing backends are marked
	// by ID, new ones are checked in a map.
	var newOwner map[uint64]int32 // new backend key -> index in puts
	found := make([]uint32, nbe)  // existing backend ID per put backend, 0 = new
	added, x := 0, 0
	for i := range puts {
		p := &puts[i]
		// A programmed service listing the backends it has, in the same order, needs no
		// lookup of its backend keys (the common case of a resync).
		if rec := putRecs[i]; rec != nil && (p.skip != nil || sameBackends(st, rec.ids, p.keys)) {
			for _, id := range rec.ids {
				if st.beMark[id] == e {
					return nil, fmt.Errorf("%w: backend %v under frontends %v and %v",
						ErrDuplicate, d.addrs.addrPort(st.beVals[id].key()), d.addrs.frontend(puts[st.beOwner[id]].key), d.addrs.frontend(p.key))
				}
				st.beMark[id], st.beOwner[id] = e, int32(i)
				if p.skip == nil {
					found[x] = id
					x++
				}
			}
			continue
		}
		for _, k := range p.keys {
			ku := k.u64()
			if id, ok := st.bes[ku]; ok {
				if st.beMark[id] == e {
					return nil, fmt.Errorf("%w: backend %v under frontends %v and %v",
						ErrDuplicate, d.addrs.addrPort(k), d.addrs.frontend(puts[st.beOwner[id]].key), d.addrs.frontend(p.key))
				}
				st.beMark[id], st.beOwner[id] = e, int32(i)
				if sid := st.beVals[id].SvcId; *mark(sid) != e {
					var o svcKey
					if int(sid) < len(st.byID) {
						o = svcKeyFrom64(st.byID[sid])
					}
					return nil, fmt.Errorf("%w: backend %v of frontend %v already belongs to frontend %v",
						ErrDuplicate, d.addrs.addrPort(k), d.addrs.frontend(p.key), d.addrs.frontend(o))
				}
				found[x] = id
			} else {
				if newOwner == nil {
					newOwner = make(map[uint64]int32, nbe-x)
				}
				// One map operation, as for newKeys; the first owner, overwritten, is
				// found again for the error.
				n := len(newOwner)
				if newOwner[ku] = int32(i); len(newOwner) == n {
					return nil, fmt.Errorf("%w: backend %v under frontends %v and %v",
						ErrDuplicate, d.addrs.addrPort(k), d.addrs.frontend(puts[firstWith(puts, ku)].key), d.addrs.frontend(p.key))
				}
				added++
			}
			x++
		}
	}

	var pl plan
	pl.rowDel = map[uint32]struct{}{}
	pl.beZero = map[uint32]struct{}{}
	removed := 0
	for _, rec := range affected {
		for _, id := range rec.ids {
			if st.beMark[id] == e {
				continue // kept
			}
			bk := st.beVals[id].key()
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
		if _, kept := newOwner[k.u64()]; !kept {
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
		return nil, fmt.Errorf("%w: %d services, the services map holds %d", ErrCapacity, n, d.opts.MaxServices)
	}
	if n := len(st.bes) + added - removed; n > int(d.opts.MaxBackends) {
		return nil, fmt.Errorf("%w: %d backends, the backends map holds %d", ErrCapacity, n, d.opts.MaxBackends)
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
	pl.svcRecs, pl.oldRecs = make([]*svcRec, len(puts)), putRecs
	// Room for the entries of new services and backends; changes of existing ones grow
	// the slices as needed (a resync that changes nothing allocates none).
	pl.beIDs, pl.beVals = make([]uint32, 0, added), make([]backendEntry, 0, added)
	pl.rnKeys, pl.rnVals, pl.rnIDs = make([]revnatKey, 0, added), make([]revnatVal, 0, added), make([]uint32, 0, added)
	pl.svcKeys, pl.svcVals = make([]svcKey, 0, newSvcs), make([]svcVal, 0, newSvcs)
	if len(st.bes) == 0 && added > 0 {
		st.bes = make(map[uint64]uint32, added)
	}
	if len(st.svcs) == 0 && len(puts) > 0 {
		st.svcs = make(map[uint64]*svcRec, len(puts))
	}
	recs := make([]svcRec, 0, len(puts)-skipped) // new records, never reallocated
	rnNew := 0                                   // reverse NAT keys not yet in the map
	idSlab := make([]uint32, nbe)
	var cidSlab []uint32
	x = 0
	for i := range puts {
		p := &puts[i]
		if p.skip != nil {
			continue // unchanged: the mirror keeps its record (pl.svcRecs[i] stays nil)
		}
		rec := putRecs[i]
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
			if old.Addr != 0 && is6(old.Addr) != is6(v.Addr) {
				pl.crossZero = append(pl.crossZero, id)
				pl.crossZero6 = append(pl.crossZero6, is6(old.Addr))
			}
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
		cids := carve(&cidSlab, len(p.cidx))
		for j, c := range p.cidx {
			cids[j] = ids[c]
		}
		sv := svcVal{Id: sid, Count: uint16(len(cids))}
		if rec != nil && rec.cids != nil && rec.val.Count == sv.Count && slices.Equal(rec.cids, cids) {
			// The same backend IDs hold the same backends (their keys were compared or
			// looked up above): the row's inputs, so its fingerprint, are unchanged.
			sv.Fingerprint = rec.val.Fingerprint
		} else {
			sv.Fingerprint = fingerprint(m, p.cand, cids)
		}
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
		if rec != nil && rec.val == sv && rec.cids != nil && slices.Equal(rec.ids, ids) {
			continue // unchanged: the mirror keeps rec (pl.svcRecs[i] stays nil)
		}
		recs = append(recs, svcRec{val: sv, ids: ids, cids: cids})
		pl.svcRecs[i] = &recs[len(recs)-1]
	}

	pl.deleteFirst = len(st.svcs)+newSvcs > int(d.opts.MaxServices) || rnPresent+rnNew > int(d.opts.MaxBackends)
	return &pl, nil
}

// sameBackends reports whether the backends of IDs ids hold keys, in order.
func sameBackends(st *lbState, ids []uint32, keys []revnatKey) bool {
	if len(ids) != len(keys) {
		return false
	}
	for j, id := range ids {
		if st.beVals[id].key() != keys[j] {
			return false
		}
	}
	return true
}

// keysOf returns the keys of m, sorted.
func keysOf(m map[uint32]struct{}) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// firstWith returns the index of the first of puts that lists backend key ku (-1 if none).
func firstWith(puts []prepared, ku uint64) int {
	for i := range puts {
		for _, k := range puts[i].keys {
			if k.u64() == ku {
				return i
			}
		}
	}
	return -1
}
