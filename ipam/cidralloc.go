package ipam

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/google/btree"
)

// CIDRAllocator hands out aligned CIDR blocks from pools, never returning a block that
// touches a reserved range or an earlier allocation. It is deterministic: the same
// reservations and requests in the same order give the same blocks. Each Allocate costs
// O(log n) amortized in the number of reserved ranges, for a bounded number of distinct
// (pool, length) requests. A CIDRAllocator is not safe for concurrent use.
type CIDRAllocator struct {
	used    *btree.BTreeG[Range] // disjoint, non-adjacent ranges, ordered by family and start
	cursors map[cursorKey]cursor
}

// cursorKey names one (pool, block length) search. Because the used set only grows, the
// first free block of a given length in a given pool never moves backwards, so each search
// resumes where the previous one stopped.
type cursorKey struct {
	pool netip.Prefix
	bits int
}

type cursor struct {
	next u128
	done bool
}

// NewCIDRAllocator returns an allocator that treats every address in reserved as taken.
// Reserved prefixes may overlap each other and may be of either family; invalid prefixes
// are ignored.
func NewCIDRAllocator(reserved []netip.Prefix) *CIDRAllocator {
	spans := make([]Range, 0, len(reserved))
	for _, p := range reserved {
		if p.IsValid() {
			spans = append(spans, rangeOf(p))
		}
	}
	slices.SortFunc(spans, compareFirst)
	a := &CIDRAllocator{used: btree.NewG(16, Range.StartsBefore), cursors: map[cursorKey]cursor{}}
	var cur Range
	for i, s := range spans {
		if i > 0 && touches(cur, s) {
			if s.to.cmp(cur.to) > 0 {
				cur.to = s.to
			}
			continue
		}
		if i > 0 {
			a.used.ReplaceOrInsert(cur)
		}
		cur = s
	}
	if len(spans) > 0 {
		a.used.ReplaceOrInsert(cur)
	}
	return a
}

// touches reports whether b, which starts no earlier than a, overlaps a or starts right
// after it.
func touches(a, b Range) bool {
	if a.bits != b.bits {
		return false
	}
	if b.from.cmp(a.to) <= 0 {
		return true
	}
	n, ok := a.to.next(a.is6())
	return ok && n == b.from
}

// Reserve marks every address of p as taken. Invalid prefixes are ignored.
func (a *CIDRAllocator) Reserve(p netip.Prefix) {
	if p.IsValid() {
		a.reserve(rangeOf(p))
	}
}

func (a *CIDRAllocator) reserve(s Range) {
	// Merge with every range that overlaps or touches s: they start no later than the
	// address after s.to.
	pivot := s
	if n, ok := s.to.next(s.is6()); ok {
		pivot.from = n
	} else {
		pivot.from = s.to
	}
	var merged []Range
	a.used.DescendLessOrEqual(pivot, func(r Range) bool {
		if compareFirst(r, s) > 0 || touches(r, s) {
			merged = append(merged, r)
			return true
		}
		return false
	})
	for _, r := range merged {
		if r.from.cmp(s.from) < 0 {
			s.from = r.from
		}
		if r.to.cmp(s.to) > 0 {
			s.to = r.to
		}
	}
	// The merged range keeps the start of the lowest one, which ReplaceOrInsert replaces
	// in place; only the others need deleting.
	for _, r := range merged {
		if r.from != s.from {
			a.used.Delete(r)
		}
	}
	a.used.ReplaceOrInsert(s)
}

// Free reports whether p is valid and no address of it is reserved or allocated.
func (a *CIDRAllocator) Free(p netip.Prefix) bool {
	if !p.IsValid() {
		return false
	}
	_, hit := a.conflict(rangeOf(p))
	return !hit
}

// conflict returns the used range that overlaps s, if any: the range with the greatest
// start not after s.to is the only candidate, since used ranges are disjoint and sorted.
func (a *CIDRAllocator) conflict(s Range) (r Range, hit bool) {
	a.used.DescendLessOrEqual(Range{bits: s.bits, from: s.to, to: s.to}, func(u Range) bool {
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
		if p, ok := a.allocateIn(pool.Masked(), bits); ok {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("%w: no free /%d in pools %v", ErrPoolExhausted, bits, pools)
}

func (a *CIDRAllocator) allocateIn(pool netip.Prefix, bits int) (netip.Prefix, bool) {
	key := cursorKey{pool, bits}
	ps := rangeOf(pool)
	cur, seen := a.cursors[key]
	if !seen {
		cur.next = ps.from
	}
	host := int(ps.bits) - bits
	m := ones(host)
	for c := cur.next; !cur.done && c.cmp(ps.to) <= 0; {
		s := Range{bits: ps.bits, from: c, to: c.or(m)}
		if s.to.cmp(ps.to) > 0 {
			break
		}
		r, hit := a.conflict(s)
		if !hit {
			a.reserve(s)
			n, ok := s.to.next(ps.is6())
			a.cursors[key] = cursor{next: n, done: !ok}
			return netip.PrefixFrom(fromU128(c, ps.bits), bits), true
		}
		n, ok := r.to.next(ps.is6())
		if ok {
			c, ok = alignUp(n, host, ps.is6())
		}
		if !ok {
			break
		}
	}
	a.cursors[key] = cursor{done: true}
	return netip.Prefix{}, false
}
