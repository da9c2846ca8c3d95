package datapath

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/ciliumkit/ciliumkit/egress"
)

// egressKeyOf returns the LPM key of a source /32 and destination prefix (layout in doc.go).
func egressKeyOf(src netip.Addr, dst netip.Prefix) egressKey {
	return egressKey{Prefixlen: 32 + uint32(dst.Bits()), Saddr: addrBE(src), Daddr: addrBE(dst.Masked().Addr())}
}

// entry returns the egress entry of a map key and value.
func (k egressKey) entry(v egressVal) egress.Entry {
	return egress.Entry{
		Source:      addrFromBE(k.Saddr),
		Destination: netip.PrefixFrom(addrFromBE(k.Daddr), int(k.Prefixlen)-32),
		EgressIP:    addrFromBE(v.EgressIp),
		GatewayIP:   addrFromBE(v.GatewayIp),
	}
}

// egressWant validates entries (egress.Entry.Validate; a source and destination may appear
// once; at most limit entries) and returns them as map entries.
func egressWant(entries []egress.Entry, limit uint32) (map[egressKey]egressVal, error) {
	want := make(map[egressKey]egressVal, len(entries))
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("%w: egress entry %v: %w", ErrUnsupported, e, err)
		}
		k := egressKeyOf(e.Source, e.Destination)
		if _, dup := want[k]; dup {
			return nil, fmt.Errorf("%w: egress entry for %v -> %v listed twice", ErrDuplicate, e.Source, e.Destination.Masked())
		}
		want[k] = egressVal{EgressIp: addrBE(e.EgressIP), GatewayIp: addrBE(e.GatewayIP)}
	}
	if len(want) > int(limit) {
		return nil, fmt.Errorf("%w: %d egress entries, the egress map holds %d", ErrCapacity, len(want), limit)
	}
	return want, nil
}

// diffEntries returns the entries of want that have lacks or holds with another value,
// and the keys of have that want lacks.
func diffEntries[K, V comparable](want, have map[K]V) (keys []K, vals []V, dels []K) {
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
	return keys, vals, dels
}

// egressEntries returns the map entries of have as egress entries, sorted by source, then
// destination address, then prefix length.
func egressEntries(have map[egressKey]egressVal) []egress.Entry {
	out := make([]egress.Entry, 0, len(have))
	for k, v := range have {
		out = append(out, k.entry(v))
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
	return out
}

// matchedPrefix returns the longest destination prefix among the entries of have for
// source src that contains dst and has value v: the prefix an LPM lookup that returned v
// matched (the kernel returns only the value).
func matchedPrefix(have map[egressKey]egressVal, src, dst netip.Addr, v egressVal) netip.Prefix {
	var out netip.Prefix
	best, saddr := -1, addrBE(src)
	for k, x := range have {
		p := netip.PrefixFrom(addrFromBE(k.Daddr), int(k.Prefixlen)-32)
		if x == v && k.Saddr == saddr && p.Contains(dst) && p.Bits() > best {
			best, out = p.Bits(), p
		}
	}
	return out
}
