package datapath

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Service reads one frontend back from the maps. It returns ErrNotFound when the frontend
// is not in the services map.
func (d *Datapath) Service(fe lb.Frontend) (ServiceEntry, error) {
	if !fe.Addr.Addr().Is4() {
		return ServiceEntry{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	var v svcVal
	if err := d.objs.CikLbSvc.Lookup(svcKeyOf(fe), &v); err != nil {
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return ServiceEntry{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
		}
		return ServiceEntry{}, fmt.Errorf("%w: look up frontend %v: %w", ErrMap, fe, err)
	}
	e := ServiceEntry{Frontend: fe, ID: v.Id}
	backendAt := func(id uint32) (backendEntry, error) {
		var b backendEntry
		if err := d.objs.CikLbBackend.Lookup(id, &b); err != nil {
			return b, fmt.Errorf("%w: frontend %v: look up backend ID %d: %w", ErrMap, fe, id, err)
		}
		return b, nil
	}
	if rec, ok := d.st.svcs[svcKeyOf(fe).u64()]; ok {
		for _, id := range rec.ids {
			b, err := backendAt(id)
			if err != nil {
				return e, err
			}
			if b.SvcId == v.Id && b.Addr != 0 {
				e.Backends = append(e.Backends, b.backend())
			}
		}
	}
	slices.SortFunc(e.Backends, func(a, b lb.Backend) int { return a.Addr.Compare(b.Addr) })
	if v.Count == 0 {
		return e, nil
	}
	rowIDs := make([]uint32, d.opts.MaglevTableSize)
	if err := d.objs.CikLbMaglev.Lookup(v.Id, rowIDs); err != nil {
		return e, fmt.Errorf("%w: frontend %v: look up Maglev row %d: %w", ErrMap, fe, v.Id, err)
	}
	addrs := map[uint32]netip.AddrPort{}
	e.Table = make([]netip.AddrPort, len(rowIDs))
	for i, id := range rowIDs {
		a, ok := addrs[id]
		if !ok {
			b, err := backendAt(id)
			if err != nil {
				return e, err
			}
			a = b.backend().Addr
			addrs[id] = a
		}
		e.Table[i] = a
	}
	return e, nil
}

// Frontends reads every frontend in the services map, sorted by address, port and protocol.
func (d *Datapath) Frontends() ([]lb.Frontend, error) {
	var out []lb.Frontend
	err := batchRead(d.objs.CikLbSvc, func(k *svcKey, _ *svcVal) { out = append(out, k.frontend()) })
	if err != nil {
		return nil, fmt.Errorf("%w: read services map: %w", ErrMap, err)
	}
	slices.SortFunc(out, func(a, b lb.Frontend) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return cmp.Compare(a.Protocol, b.Protocol)
	})
	return out, nil
}
