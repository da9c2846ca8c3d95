package datapath

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/egress"
)

// egressKeyOf returns the LPM key of a source /32 and destination prefix (layout in doc.go).
func egressKeyOf(src netip.Addr, dst netip.Prefix) lbEgressKey {
	return lbEgressKey{Prefixlen: 32 + uint32(dst.Bits()), Saddr: addrBE(src), Daddr: addrBE(dst.Masked().Addr())}
}

// SyncEgress makes the egress gateway map hold exactly entries (each validated with
// egress.Entry.Validate; a source and destination may appear once), writing only new or
// changed entries and deleting the rest. Nothing is written when an entry is invalid or
// the set exceeds Options.MaxEgress.
func (d *Datapath) SyncEgress(entries []egress.Entry) (SyncStats, error) {
	want := make(map[lbEgressKey]lbEgressVal, len(entries))
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return SyncStats{}, fmt.Errorf("%w: egress entry %v: %w", ErrUnsupported, e, err)
		}
		k := egressKeyOf(e.Source, e.Destination)
		if _, dup := want[k]; dup {
			return SyncStats{}, fmt.Errorf("%w: egress entry for %v -> %v listed twice", ErrDuplicate, e.Source, e.Destination.Masked())
		}
		want[k] = lbEgressVal{EgressIp: addrBE(e.EgressIP), GatewayIp: addrBE(e.GatewayIP)}
	}
	if len(want) > int(d.opts.MaxEgress) {
		return SyncStats{}, fmt.Errorf("%w: %d egress entries, the egress map holds %d", ErrCapacity, len(want), d.opts.MaxEgress)
	}
	have, err := readAll[lbEgressKey, lbEgressVal](d.objs.CikEgressV4)
	if err != nil {
		return SyncStats{}, fmt.Errorf("%w: read egress map: %w", ErrMap, err)
	}
	var keys, dels []lbEgressKey
	var vals []lbEgressVal
	for k, v := range want {
		if old, ok := have[k]; !ok || old != v {
			keys, vals = append(keys, k), append(vals, v)
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			dels = append(dels, k)
		}
	}
	var s SyncStats
	if err := batchUpdate(d.objs.CikEgressV4, "egress", keys, vals, &s.Syscalls); err != nil {
		return s, err
	}
	s.EgressWritten = len(keys)
	if err := batchDelete(d.objs.CikEgressV4, "egress", dels, &s.Syscalls); err != nil {
		return s, err
	}
	s.EgressDeleted = len(dels)
	return s, nil
}

// EgressEntries reads the egress gateway map back, sorted by source then destination.
func (d *Datapath) EgressEntries() ([]egress.Entry, error) {
	have, err := readAll[lbEgressKey, lbEgressVal](d.objs.CikEgressV4)
	if err != nil {
		return nil, fmt.Errorf("%w: read egress map: %w", ErrMap, err)
	}
	out := make([]egress.Entry, 0, len(have))
	for k, v := range have {
		out = append(out, egress.Entry{
			Source:      addrFromBE(k.Saddr),
			Destination: netip.PrefixFrom(addrFromBE(k.Daddr), int(k.Prefixlen)-32),
			EgressIP:    addrFromBE(v.EgressIp),
			GatewayIP:   addrFromBE(v.GatewayIp),
		})
	}
	slices.SortFunc(out, func(a, b egress.Entry) int {
		if c := a.Source.Compare(b.Source); c != 0 {
			return c
		}
		if c := a.Destination.Addr().Compare(b.Destination.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Destination.Bits(), b.Destination.Bits())
	})
	return out, nil
}

// LookupEgress looks a flow up in the egress gateway map as the datapath would (longest
// prefix match on source /32 and destination). It returns the entry with Destination set
// to the matched prefix, or false when no entry matches.
func (d *Datapath) LookupEgress(src, dst netip.Addr) (egress.Entry, bool, error) {
	if !src.Is4() || !dst.Is4() {
		return egress.Entry{}, false, fmt.Errorf("%w: egress lookup %v -> %v: not IPv4", ErrUnsupported, src, dst)
	}
	var v lbEgressVal
	err := d.objs.CikEgressV4.Lookup(egressKeyOf(src, netip.PrefixFrom(dst, 32)), &v)
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return egress.Entry{}, false, nil
	}
	if err != nil {
		return egress.Entry{}, false, fmt.Errorf("%w: egress lookup %v -> %v: %w", ErrMap, src, dst, err)
	}
	e := egress.Entry{Source: src, EgressIP: addrFromBE(v.EgressIp), GatewayIP: addrFromBE(v.GatewayIp)}
	// The kernel returns only the value; find the matched prefix among the map's keys.
	have, err := readAll[lbEgressKey, lbEgressVal](d.objs.CikEgressV4)
	if err != nil {
		return e, true, fmt.Errorf("%w: read egress map: %w", ErrMap, err)
	}
	best, saddr := -1, addrBE(src)
	for k, x := range have {
		p := netip.PrefixFrom(addrFromBE(k.Daddr), int(k.Prefixlen)-32)
		if x == v && k.Saddr == saddr && p.Contains(dst) && p.Bits() > best {
			best, e.Destination = p.Bits(), p
		}
	}
	return e, true, nil
}

// readAll reads every entry of m one by one (LPM tries have no batch lookup).
func readAll[K comparable, V any](m *ebpf.Map) (map[K]V, error) {
	out := map[K]V{}
	var k K
	var v V
	it := m.Iterate()
	for it.Next(&k, &v) {
		out[k] = v
	}
	return out, it.Err()
}
