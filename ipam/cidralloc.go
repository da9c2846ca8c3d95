package ipam

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/google/btree"
	"go4.org/netipx"
)

// CIDRAllocator hands out aligned CIDR blocks from pools, never returning a block that
// touches a reserved range or an earlier allocation. It is deterministic: the same
// reservations and requests in the same order give the same blocks. Each Allocate costs
// O(log n) amortized in the number of reserved ranges, for a bounded number of distinct
// (pool, length) requests. A CIDRAllocator is not safe for concurrent use.
type CIDRAllocator struct {
	used    *btree.BTreeG[span] // disjoint, non-adjacent ranges, ordered by start
	cursors map[cursorKey]netip.Addr
}

// cursorKey names one (pool, block length) search. Because the used set only grows, the
// first free block of a given length in a given pool never moves backwards, so each search
// resumes where the previous one stopped.
type cursorKey struct {
	pool netip.Prefix
	bits int
}

// NewCIDRAllocator returns an allocator that treats every address in reserved as taken.
// Reserved prefixes may overlap each other and may be of either family; invalid prefixes
// are ignored.
func NewCIDRAllocator(reserved []netip.Prefix) *CIDRAllocator {
	spans := make([]span, 0, len(reserved))
	for _, p := range reserved {
		if p.IsValid() {
			spans = append(spans, spanOf(p.Masked()))
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	a := &CIDRAllocator{used: btree.NewG(16, spanLess), cursors: map[cursorKey]netip.Addr{}}
	var cur span
	for i, s := range spans {
		switch {
		case i == 0:
			cur = s
		case cur.to.Next().IsValid() && s.from.Compare(cur.to.Next()) <= 0:
			if s.to.Compare(cur.to) > 0 {
				cur.to = s.to
			}
		default:
			a.used.ReplaceOrInsert(cur)
			cur = s
		}
	}
	if len(spans) > 0 {
		a.used.ReplaceOrInsert(cur)
	}
	return a
}

// Reserve marks every address of p as taken. Invalid prefixes are ignored.
func (a *CIDRAllocator) Reserve(p netip.Prefix) {
	if !p.IsValid() {
		return
	}
	a.reserve(spanOf(p.Masked()))
}

func (a *CIDRAllocator) reserve(s span) {
	// Merge with every range that overlaps or touches s.
	pivot := s.to
	if n := s.to.Next(); n.IsValid() {
		pivot = n
	}
	var merged []span
	a.used.DescendLessOrEqual(span{from: pivot}, func(r span) bool {
		if r.to.Less(s.from) && r.to.Next() != s.from { // neither overlapping nor adjacent
			return false
		}
		merged = append(merged, r)
		return true
	})
	for _, r := range merged {
		a.used.Delete(r)
		if r.from.Less(s.from) {
			s.from = r.from
		}
		if s.to.Less(r.to) {
			s.to = r.to
		}
	}
	a.used.ReplaceOrInsert(s)
}

// Free reports whether no address of p is reserved or allocated.
func (a *CIDRAllocator) Free(p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	_, hit := a.conflict(spanOf(p.Masked()))
	return !hit
}

// conflict returns the used range that overlaps s, if any: the range with the greatest
// start not after s.to is the only candidate, since used ranges are disjoint and sorted.
func (a *CIDRAllocator) conflict(s span) (r span, hit bool) {
	a.used.DescendLessOrEqual(span{from: s.to}, func(u span) bool {
		r, hit = u, u.overlaps(s)
		return false
	})
	return r, hit
}

// Allocate returns the first free block of prefix length bits, searching pools in order
// and each pool from its lowest address, and marks it taken. Only pools p with
// p.Bits() <= bits <= p.Addr().BitLen() are searched, so callers pass the pools of the
// family they want. It returns an error wrapping ErrInvalidPrefixLength for bits outside
// 0-128 and ErrPoolExhausted when no searched pool has room.
func (a *CIDRAllocator) Allocate(pools []netip.Prefix, bits int) (netip.Prefix, error) {
	if bits < 0 || bits > 128 {
		return netip.Prefix{}, fmt.Errorf("%w /%d: must be 0-32 (IPv4) or 0-128 (IPv6)", ErrInvalidPrefixLength, bits)
	}
	for _, pool := range pools {
		if !pool.IsValid() || pool.Bits() > bits || bits > pool.Addr().BitLen() {
			continue
		}
		pool = pool.Masked()
		if p, ok := a.allocateIn(pool, bits); ok {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%w: no free /%d in pools %v", ErrPoolExhausted, bits, pools)
}

func (a *CIDRAllocator) allocateIn(pool netip.Prefix, bits int) (netip.Prefix, bool) {
	key := cursorKey{pool, bits}
	c, seen := a.cursors[key]
	if !seen {
		c = pool.Addr()
	}
	last := netipx.PrefixLastIP(pool)
	for c.IsValid() && pool.Contains(c) {
		block := netip.PrefixFrom(c, bits)
		s := spanOf(block)
		if last.Less(s.to) {
			break
		}
		r, hit := a.conflict(s)
		if !hit {
			a.reserve(s)
			a.cursors[key] = s.to.Next()
			return block, true
		}
		c = r.to.Next()
		if c.IsValid() {
			c = alignUp(c, bits)
		}
	}
	a.cursors[key] = netip.Addr{}
	return netip.Prefix{}, false
}
