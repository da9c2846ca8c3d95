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
	a := fe.Addr.Addr()
	if !a.IsValid() || a.Zone() != "" || a.Is4() && a.As4()[0] == 0 {
		return ServiceEntry{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
	}
	six := !a.Is4()
	var v svcVal
	var err error
	if six {
		err = d.objs.CikLbSvc6.Lookup(svcKey6{Vip: words6(a.As16()), Port: portBE(fe.Addr.Port()), Proto: uint8(fe.Protocol)}, &v)
	} else {
		err = d.objs.CikLbSvc.Lookup(svcKey{Vip: addrBE(a), Port: portBE(fe.Addr.Port()), Proto: uint8(fe.Protocol)}, &v)
	}
	if err != nil {
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return ServiceEntry{}, fmt.Errorf("%w: frontend %v", ErrNotFound, fe)
		}
		return ServiceEntry{}, fmt.Errorf("%w: look up frontend %v: %w", ErrMap, fe, err)
	}
	e := ServiceEntry{Frontend: fe, ID: v.Id}
	// backendAt reads backend ID id of the frontend's family: ok is false for a free slot
	// or one of another service.
	backendAt := func(id uint32) (b lb.Backend, svc uint32, ok bool, err error) {
		if six {
			var b6 backendEntry6
			if err := d.objs.CikLbBackend6.Lookup(id, &b6); err != nil {
				return b, 0, false, fmt.Errorf("%w: frontend %v: look up backend ID %d: %w", ErrMap, fe, id, err)
			}
			b = lb.Backend{Addr: netip.AddrPortFrom(netip.AddrFrom16(bytes6(b6.Addr)), portFromBE(b6.Port)),
				Protocol: lb.Protocol(b6.Proto), State: lb.BackendState(b6.State), ClusterID: b6.ClusterId}
			return b, b6.SvcId, b6.Addr != [4]uint32{}, nil
		}
		var b4 backendEntry
		if err := d.objs.CikLbBackend.Lookup(id, &b4); err != nil {
			return b, 0, false, fmt.Errorf("%w: frontend %v: look up backend ID %d: %w", ErrMap, fe, id, err)
		}
		b = lb.Backend{Addr: netip.AddrPortFrom(addrFromBE(b4.Addr), portFromBE(b4.Port)),
			Protocol: lb.Protocol(b4.Proto), State: lb.BackendState(b4.State), ClusterID: b4.ClusterId}
		return b, b4.SvcId, b4.Addr != 0, nil
	}
	if k, ok, _ := d.addrs.svcKey(fe, false); ok {
		if rec, ok := d.st.svcs[k.u64()]; ok {
			for _, id := range rec.ids {
				b, sid, used, err := backendAt(id)
				if err != nil {
					return e, err
				}
				if sid == v.Id && used {
					e.Backends = append(e.Backends, b)
				}
			}
		}
	}
	slices.SortFunc(e.Backends, func(a, b lb.Backend) int { return a.Addr.Compare(b.Addr) })
	if v.Count == 0 {
		return e, nil
	}
	rowIDs, err := d.readRow(v.Id)
	if err != nil {
		return e, fmt.Errorf("%w: frontend %v: look up Maglev row %d: %w", ErrMap, fe, v.Id, err)
	}
	addrs := map[uint32]netip.AddrPort{}
	e.Table = make([]netip.AddrPort, len(rowIDs))
	for i, id := range rowIDs {
		a, ok := addrs[id]
		if !ok {
			b, _, _, err := backendAt(id)
			if err != nil {
				return e, err
			}
			a = b.Addr
			addrs[id] = a
		}
		e.Table[i] = a
	}
	return e, nil
}

// Frontends reads every frontend in the services map, sorted by address, port and protocol.
func (d *Datapath) Frontends() ([]lb.Frontend, error) {
	var out []lb.Frontend
	err := batchRead(d.objs.CikLbSvc, func(k *svcKey, _ *svcVal) {
		out = append(out, lb.Frontend{Addr: netip.AddrPortFrom(addrFromBE(k.Vip), portFromBE(k.Port)), Protocol: lb.Protocol(k.Proto)})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read services map: %w", ErrMap, err)
	}
	err = batchRead(d.objs.CikLbSvc6, func(k *svcKey6, _ *svcVal) {
		out = append(out, lb.Frontend{Addr: netip.AddrPortFrom(netip.AddrFrom16(bytes6(k.Vip)), portFromBE(k.Port)), Protocol: lb.Protocol(k.Proto)})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read IPv6 services map: %w", ErrMap, err)
	}
	slices.SortFunc(out, func(a, b lb.Frontend) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return cmp.Compare(a.Protocol, b.Protocol)
	})
	return out, nil
}
