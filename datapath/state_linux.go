package datapath

import "fmt"

// readState reads the services, backends and reverse NAT maps into a fresh mirror.
func (d *Datapath) readState() (*lbState, error) {
	st := &lbState{
		svcs:   map[uint64]*svcRec{},
		byID:   make([]uint64, d.opts.MaxServices+1),
		bes:    map[uint64]uint32{},
		beVals: make([]backendEntry, d.opts.MaxBackends+1),
		rn:     make([]uint8, d.opts.MaxBackends+1),
		// marks
		svcMark: make([]uint32, d.opts.MaxServices+1),
		beMark:  make([]uint32, d.opts.MaxBackends+1),
		beOwner: make([]int32, d.opts.MaxBackends+1),
	}
	err := batchRead(d.objs.CikLbSvc, func(k *svcKey, v *svcVal) {
		st.svcs[k.u64()] = &svcRec{val: *v}
		if v.Id <= d.opts.MaxServices {
			st.byID[v.Id] = k.u64()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read services map: %w", ErrMap, err)
	}
	err = batchRead(d.objs.CikLbBackend, func(id *uint32, v *backendEntry) {
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
	err = batchRead(d.objs.CikLbRevnat, func(k *revnatKey, v *revnatVal) {
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
