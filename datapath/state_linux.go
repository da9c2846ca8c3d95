package datapath

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

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
	t := &d.addrs
	// An address the table cannot take (more IPv6 addresses than handles) fails the read.
	var internErr error
	keep := func(err error) bool {
		if err != nil && internErr == nil {
			internErr = err
		}
		return err == nil
	}
	addSvc := func(k svcKey, v *svcVal) {
		st.svcs[k.u64()] = &svcRec{val: *v}
		if v.Id <= d.opts.MaxServices {
			st.byID[v.Id] = k.u64()
		}
	}
	// IPv4 entries in 0.0.0.0/8, which no valid write makes, would read as IPv6 handles:
	// they are left out of the mirror (and so never touched).
	err := batchRead(d.objs.CikLbSvc, func(k *svcKey, v *svcVal) {
		if !is6(k.Vip) {
			addSvc(*k, v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read services map: %w", ErrMap, err)
	}
	svc4 := len(st.svcs)
	err = batchRead(d.objs.CikLbSvc6, func(k6 *svcKey6, v *svcVal) {
		if k, err := t.fromSvcKey6(k6); keep(err) {
			addSvc(k, v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read IPv6 services map: %w", ErrMap, err)
	}
	addBackend := func(id uint32, v *backendEntry) {
		if v.Addr == 0 || id == 0 || id > d.opts.MaxBackends || st.beVals[id].Addr != 0 {
			return // a slot IPv4 and IPv6 both claim stays IPv4's; its IPv6 copy is stale
		}
		st.beVals[id] = *v
		st.bes[v.key().u64()] = id
		if v.SvcId <= d.opts.MaxServices && st.byID[v.SvcId] != 0 {
			rec := st.svcs[st.byID[v.SvcId]]
			rec.ids = append(rec.ids, id)
		}
	}
	err = batchRead(d.objs.CikLbBackend, func(id *uint32, v *backendEntry) {
		if !is6(v.Addr) {
			addBackend(*id, v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read backends map: %w", ErrMap, err)
	}
	// The IPv6 backends array is read only when an IPv6 service or reverse NAT entry
	// exists: every IPv6 backend written has both. (A slot left by a write cut short
	// before its reverse NAT entry is then taken for free, and simply overwritten when
	// its ID is used again.) This spares a node without IPv6 services the read of a
	// whole array (MaxBackends+1 entries) on every Load.
	var rk6 revnatKey6
	has6 := len(st.svcs) > svc4
	if !has6 {
		switch err := d.objs.CikLbRevnat6.NextKey(nil, &rk6); {
		case err == nil:
			has6 = true
		case !errors.Is(err, ebpf.ErrKeyNotExist):
			return nil, fmt.Errorf("%w: read IPv6 reverse NAT map: %w", ErrMap, err)
		}
	}
	err = batchReadIf(has6, d.objs.CikLbBackend6, func(id *uint32, v6 *backendEntry6) {
		if v6.Addr == ([4]uint32{}) {
			return
		}
		if v, err := t.fromBackend6(v6); keep(err) {
			addBackend(*id, &v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read IPv6 backends map: %w", ErrMap, err)
	}
	addRevnat := func(k *revnatKey, v *revnatVal) {
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
	}
	err = batchRead(d.objs.CikLbRevnat, func(k *revnatKey, v *revnatVal) {
		if !is6(k.Addr) {
			addRevnat(k, v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read reverse NAT map: %w", ErrMap, err)
	}
	err = batchRead(d.objs.CikLbRevnat6, func(k6 *revnatKey6, v6 *revnatVal6) {
		k, err := t.fromRevnatKey6(k6)
		if !keep(err) {
			return
		}
		if v, err := t.fromRevnatVal6(v6); keep(err) {
			addRevnat(&k, &v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read IPv6 reverse NAT map: %w", ErrMap, err)
	}
	if internErr != nil {
		return nil, fmt.Errorf("%w: read IPv6 maps: %w", ErrMap, internErr)
	}
	st.svcIDs.rebuild(d.opts.MaxServices, func(id uint32) bool { return st.byID[id] != 0 })
	st.beIDs.rebuild(d.opts.MaxBackends, func(id uint32) bool { return st.beVals[id].Addr != 0 })
	return st, nil
}

// batchReadIf is batchRead when read is set, else nothing.
func batchReadIf[K, V any](read bool, m *ebpf.Map, f func(*K, *V)) error {
	if !read {
		return nil
	}
	return batchRead(m, f)
}
