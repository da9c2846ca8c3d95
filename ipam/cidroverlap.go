package ipam

import (
	"net/netip"
	"slices"
)

// CIDROverlaps returns every pair of indexes (i, j), i < j, whose prefixes share an address.
// Prefixes may mix families (an IPv4 and an IPv6 prefix never overlap); invalid prefixes
// overlap nothing. Pairs are ordered by i, then j. The cost is O(n log n + k) for n
// prefixes and k overlapping pairs.
func CIDROverlaps(prefixes []netip.Prefix) [][2]int {
	order := make([]int, 0, len(prefixes))
	spans := make([]Range, len(prefixes))
	for i, p := range prefixes {
		if p.IsValid() {
			spans[i] = rangeOf(p)
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := compareFirst(spans[a], spans[b]); c != 0 {
			return c
		}
		return a - b
	})
	var pairs [][2]int
	// Sweep by start address. Every range still active (same family, ending at or after
	// the current start) began no later than it, so it overlaps the current range.
	var active []int
	for _, i := range order {
		s := spans[i]
		active = slices.DeleteFunc(active, func(j int) bool { return !spans[j].overlaps(Range{bits: s.bits, from: s.from, to: s.from}) })
		for _, j := range active {
			pairs = append(pairs, [2]int{min(i, j), max(i, j)})
		}
		active = append(active, i)
	}
	slices.SortFunc(pairs, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	return pairs
}
