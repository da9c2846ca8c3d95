package lbipam

import (
	"math/big"
	"net/netip"

	"github.com/google/btree"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// point returns the one-address range ip..ip, a search key for sets ordered by
// ipam.Range.StartsBefore; the zero Range when ip is invalid or zoned.
func point(ip netip.Addr) ipam.Range {
	r, _ := ipam.RangeFrom(ip, ip)
	return r
}

// between returns the range first..last; the caller ensures both are of one family and in
// order.
func between(first, last netip.Addr) ipam.Range {
	r, _ := ipam.RangeFrom(first, last)
	return r
}

// size is the number of addresses in r.
func size(r ipam.Range) *big.Int {
	a, b := r.First().As16(), r.Last().As16()
	n := new(big.Int).SetBytes(b[:])
	n.Sub(n, new(big.Int).SetBytes(a[:]))
	return n.Add(n, big.NewInt(1))
}

// freeSet is the free space of one range as a B-tree of disjoint, non-adjacent free
// ranges ordered by first address. Taking the lowest free address, taking a given address
// and giving one back each cost O(log n) in the number of free ranges.
type freeSet struct {
	t *btree.BTreeG[ipam.Range]
}

func newFreeSet(r ipam.Range) *freeSet { return newFreeSetLess(r, ipam.Range.StartsBefore) }

// newFreeSetLess lets tests count comparisons; less must order as ipam.Range.StartsBefore.
func newFreeSetLess(r ipam.Range, less btree.LessFunc[ipam.Range]) *freeSet {
	s := &freeSet{t: btree.NewG(16, less)}
	s.t.ReplaceOrInsert(r)
	return s
}

// interval returns the free range holding ip.
func (s *freeSet) interval(ip netip.Addr) (ipam.Range, bool) {
	var found ipam.Range
	ok := false
	s.t.DescendLessOrEqual(point(ip), func(r ipam.Range) bool {
		found, ok = r, r.Contains(ip)
		return false
	})
	return found, ok
}

// isFree reports whether ip is free.
func (s *freeSet) isFree(ip netip.Addr) bool {
	_, ok := s.interval(ip)
	return ok
}

// lowest returns the lowest free address.
func (s *freeSet) lowest() (netip.Addr, bool) {
	r, ok := s.t.Min()
	return r.First(), ok
}

// takeLowest removes and returns the lowest free address.
func (s *freeSet) takeLowest() (netip.Addr, bool) {
	ip, ok := s.lowest()
	if ok {
		s.take(ip)
	}
	return ip, ok
}

// take marks ip used; it reports false when ip was not free.
func (s *freeSet) take(ip netip.Addr) bool {
	r, ok := s.interval(ip)
	if !ok {
		return false
	}
	s.t.Delete(r)
	if first := r.First(); first.Less(ip) {
		s.t.ReplaceOrInsert(between(first, ip.Prev()))
	}
	if last := r.Last(); ip.Less(last) {
		s.t.ReplaceOrInsert(between(ip.Next(), last))
	}
	return true
}

// put marks ip free again, merging it with adjacent free ranges; the caller ensures ip
// lies inside the range the set was made for. It reports false when ip was already free.
func (s *freeSet) put(ip netip.Addr) bool {
	var pred, succ ipam.Range
	hasPred, hasSucc := false, false
	key := point(ip)
	s.t.DescendLessOrEqual(key, func(r ipam.Range) bool {
		pred, hasPred = r, true
		return false
	})
	if hasPred && pred.Contains(ip) {
		return false
	}
	s.t.AscendGreaterOrEqual(key, func(r ipam.Range) bool {
		succ, hasSucc = r, true
		return false
	})
	first, last := ip, ip
	if hasPred && pred.Last().Next() == ip {
		s.t.Delete(pred)
		first = pred.First()
	}
	if hasSucc && ip.Next() == succ.First() {
		s.t.Delete(succ)
		last = succ.Last()
	}
	s.t.ReplaceOrInsert(between(first, last))
	return true
}

// free returns the number of free addresses.
func (s *freeSet) free() *big.Int {
	n := new(big.Int)
	s.t.Ascend(func(r ipam.Range) bool {
		n.Add(n, size(r))
		return true
	})
	return n
}
