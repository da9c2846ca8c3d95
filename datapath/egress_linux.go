package datapath

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/cilium/ebpf"

	"github.com/ciliumkit/ciliumkit/egress"
)

// SyncEgress makes the egress gateway map hold exactly entries (each validated with
// egress.Entry.Validate; a source and destination may appear once), writing only new or
// changed entries and deleting the rest. Nothing is written when an entry is invalid or
// the set exceeds Options.MaxEgress.
func (d *Datapath) SyncEgress(entries []egress.Entry) (SyncStats, error) {
	want, err := egressWant(entries, d.opts.MaxEgress)
	if err != nil {
		return SyncStats{}, err
	}
	have, err := readAll[egressKey, egressVal](d.objs.CikEgressV4)
	if err != nil {
		return SyncStats{}, fmt.Errorf("%w: read egress map: %w", ErrMap, err)
	}
	keys, vals, dels := diffEntries(want, have)
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
	have, err := readAll[egressKey, egressVal](d.objs.CikEgressV4)
	if err != nil {
		return nil, fmt.Errorf("%w: read egress map: %w", ErrMap, err)
	}
	return egressEntries(have), nil
}

// LookupEgress looks a flow up in the egress gateway map as the datapath would (longest
// prefix match on source /32 and destination). It returns the entry with Destination set
// to the matched prefix, or false when no entry matches.
func (d *Datapath) LookupEgress(src, dst netip.Addr) (egress.Entry, bool, error) {
	if !src.Is4() || !dst.Is4() {
		return egress.Entry{}, false, fmt.Errorf("%w: egress lookup %v -> %v: not IPv4", ErrUnsupported, src, dst)
	}
	var v egressVal
	err := d.objs.CikEgressV4.Lookup(egressKeyOf(src, netip.PrefixFrom(dst, 32)), &v)
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return egress.Entry{}, false, nil
	}
	if err != nil {
		return egress.Entry{}, false, fmt.Errorf("%w: egress lookup %v -> %v: %w", ErrMap, src, dst, err)
	}
	e := egress.Entry{Source: src, EgressIP: addrFromBE(v.EgressIp), GatewayIP: addrFromBE(v.GatewayIp)}
	// The kernel returns only the value; find the matched prefix among the map's keys.
	have, err := readAll[egressKey, egressVal](d.objs.CikEgressV4)
	if err != nil {
		return e, true, fmt.Errorf("%w: read egress map: %w", ErrMap, err)
	}
	e.Destination = matchedPrefix(have, src, dst, v)
	return e, true, nil
}
