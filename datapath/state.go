package datapath

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// lbState mirrors the load-balancer maps so that writes can be limited to differences.
// It is rebuilt from the maps on Load and after a failed write.
type lbState struct {
	svcs   map[uint64]*svcRec // by lbSvcKey.u64
	byID   []uint64           // service ID -> lbSvcKey.u64 (0 = unused)
	bes    map[uint64]uint32  // lbRevnatKey.u64 -> backend ID
	beVals []lbBackend        // by backend ID; zero value = free slot
	rn     []uint8            // by backend ID: its reverse NAT entry, rnAbsent/rnStale/rnOK
	// rnOrphans are reverse NAT entries found in the map for no programmed backend.
	rnOrphans []lbRevnatKey
	svcIDs    idAlloc
	beIDs     idAlloc
}

// States of a backend's reverse NAT entry.
const (
	rnAbsent uint8 = iota // no entry
	rnStale               // an entry with another value
	rnOK                  // the entry the backend's service implies
)

// svcRec is one programmed service: its map value and its backend IDs.
type svcRec struct {
	val lbSvcVal
	ids []uint32
}

// idAlloc hands out IDs 1..max, lowest unused first after a rebuild.
type idAlloc struct {
	free []uint32 // released IDs, reused last-in first-out
	next uint32   // lowest never-used ID
	max  uint32
}

func (a *idAlloc) alloc() (uint32, bool) {
	if n := len(a.free); n > 0 {
		id := a.free[n-1]
		a.free = a.free[:n-1]
		return id, true
	}
	if a.next <= a.max {
		a.next++
		return a.next - 1, true
	}
	return 0, false
}

// rebuild sets the allocator from the set of used IDs.
func (a *idAlloc) rebuild(max uint32, used func(uint32) bool) {
	*a = idAlloc{next: 1, max: max}
	hi := uint32(0)
	for id := uint32(1); id <= max; id++ {
		if used(id) {
			hi = id
		}
	}
	for id := hi; id >= 1; id-- {
		if !used(id) {
			a.free = append(a.free, id)
		}
	}
	a.next = hi + 1
}

// readState reads the services, backends and reverse NAT maps into a fresh mirror.
func (d *Datapath) readState() (*lbState, error) {
	st := &lbState{
		svcs:   map[uint64]*svcRec{},
		byID:   make([]uint64, d.opts.MaxServices+1),
		bes:    map[uint64]uint32{},
		beVals: make([]lbBackend, d.opts.MaxBackends+1),
		rn:     make([]uint8, d.opts.MaxBackends+1),
	}
	err := batchRead(d.objs.CikLbSvc, func(k *lbSvcKey, v *lbSvcVal) {
		st.svcs[k.u64()] = &svcRec{val: *v}
		if v.Id <= d.opts.MaxServices {
			st.byID[v.Id] = k.u64()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read services map: %w", ErrMap, err)
	}
	err = batchRead(d.objs.CikLbBackend, func(id *uint32, v *lbBackend) {
		if v.Addr == 0 || *id == 0 || *id > d.opts.MaxBackends {
			return
		}
		st.beVals[*id] = *v
		st.bes[v.key().u64()] = *id
		if v.SvcId <= d.opts.MaxServices && st.byID[v.SvcId] != 0 {
			rec := st.svcs[st.byID[v.SvcId]]
			rec.ids = append(rec.ids, *id)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read backends map: %w", ErrMap, err)
	}
	err = batchRead(d.objs.CikLbRevnat, func(k *lbRevnatKey, v *lbRevnatVal) {
		id, ok := st.bes[k.u64()]
		if !ok {
			st.rnOrphans = append(st.rnOrphans, *k)
			return
		}
		st.rn[id] = rnStale
		sid := st.beVals[id].SvcId
		if sid <= d.opts.MaxServices && st.byID[sid] != 0 && *v == revnatOf(svcKeyFrom64(st.byID[sid]), sid) {
			st.rn[id] = rnOK
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read reverse NAT map: %w", ErrMap, err)
	}
	st.svcIDs.rebuild(d.opts.MaxServices, func(id uint32) bool { return st.byID[id] != 0 })
	st.beIDs.rebuild(d.opts.MaxBackends, func(id uint32) bool { return st.beVals[id].Addr != 0 })
	return st, nil
}

// batchRead calls f for every entry of m, reading 4096 entries per syscall.
func batchRead[K, V any](m *ebpf.Map, f func(*K, *V)) error {
	const chunk = 4096
	keys, vals := make([]K, chunk), make([]V, chunk)
	var c ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&c, keys, vals, nil)
		for i := range n {
			f(&keys[i], &vals[i])
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// revnatOf is the reverse NAT value of a backend of service sid with frontend k.
func revnatOf(k lbSvcKey, sid uint32) lbRevnatVal {
	return lbRevnatVal{Vip: k.Vip, Port: k.Port, SvcId: sid}
}
