package ipam

import (
	"math/big"
	"net/netip"

	"github.com/google/btree"
)

// lbInterval is an inclusive range of addresses of one family.
type lbInterval struct{ first, last netip.Addr }

func (iv lbInterval) contains(ip netip.Addr) bool {
	return iv.first.Compare(ip) <= 0 && ip.Compare(iv.last) <= 0
}

func (iv lbInterval) overlaps(o lbInterval) bool {
	return iv.first.BitLen() == o.first.BitLen() &&
		iv.first.Compare(o.last) <= 0 && o.first.Compare(iv.last) <= 0
}

// size is the number of addresses in iv.
func (iv lbInterval) size() *big.Int {
	a, b := iv.first.As16(), iv.last.As16()
	n := new(big.Int).SetBytes(b[:])
	n.Sub(n, new(big.Int).SetBytes(a[:]))
	return n.Add(n, big.NewInt(1))
}

func lbLessInterval(a, b lbInterval) bool { return a.first.Less(b.first) }

// lbFreeSet is the free space of one range as a B-tree of disjoint, non-adjacent free
// intervals ordered by first address. Taking the lowest free address, taking a given
// address and giving one back each cost O(log n) in the number of free intervals.
type lbFreeSet struct {
	t *btree.BTreeG[lbInterval]
}

func newLBFreeSet(iv lbInterval) *lbFreeSet { return newLBFreeSetLess(iv, lbLessInterval) }

// newLBFreeSetLess lets tests count comparisons.
func newLBFreeSetLess(iv lbInterval, less btree.LessFunc[lbInterval]) *lbFreeSet {
	s := &lbFreeSet{t: btree.NewG(16, less)}
	s.t.ReplaceOrInsert(iv)
	return s
}

// interval returns the free interval holding ip.
func (s *lbFreeSet) interval(ip netip.Addr) (lbInterval, bool) {
	var found lbInterval
	ok := false
	s.t.DescendLessOrEqual(lbInterval{first: ip}, func(iv lbInterval) bool {
		found, ok = iv, iv.contains(ip)
		return false
	})
	return found, ok
}

// isFree reports whether ip is free.
func (s *lbFreeSet) isFree(ip netip.Addr) bool {
	_, ok := s.interval(ip)
	return ok
}

// lowest returns the lowest free address.
func (s *lbFreeSet) lowest() (netip.Addr, bool) {
	iv, ok := s.t.Min()
	return iv.first, ok
}

// takeLowest removes and returns the lowest free address.
func (s *lbFreeSet) takeLowest() (netip.Addr, bool) {
	ip, ok := s.lowest()
	if ok {
		s.take(ip)
	}
	return ip, ok
}

// take marks ip used; it reports false when ip was not free.
func (s *lbFreeSet) take(ip netip.Addr) bool {
	iv, ok := s.interval(ip)
	if !ok {
		return false
	}
	s.t.Delete(iv)
	if iv.first.Less(ip) {
		s.t.ReplaceOrInsert(lbInterval{iv.first, ip.Prev()})
	}
	if ip.Less(iv.last) {
		s.t.ReplaceOrInsert(lbInterval{ip.Next(), iv.last})
	}
	return true
}

// put marks ip free again, merging it with adjacent free intervals; the caller ensures ip
// lies inside the range the set was made for. It reports false when ip was already free.
func (s *lbFreeSet) put(ip netip.Addr) bool {
	var pred, succ lbInterval
	hasPred, hasSucc := false, false
	s.t.DescendLessOrEqual(lbInterval{first: ip}, func(iv lbInterval) bool {
		pred, hasPred = iv, true
		return false
	})
	if hasPred && pred.contains(ip) {
		return false
	}
	s.t.AscendGreaterOrEqual(lbInterval{first: ip}, func(iv lbInterval) bool {
		succ, hasSucc = iv, true
		return false
	})
	merged := lbInterval{ip, ip}
	if hasPred && pred.last.Next() == ip {
		s.t.Delete(pred)
		merged.first = pred.first
	}
	if hasSucc && ip.Next() == succ.first {
		s.t.Delete(succ)
		merged.last = succ.last
	}
	s.t.ReplaceOrInsert(merged)
	return true
}

// free returns the number of free addresses.
func (s *lbFreeSet) free() *big.Int {
	n := new(big.Int)
	s.t.Ascend(func(iv lbInterval) bool {
		n.Add(n, iv.size())
		return true
	})
	return n
}
