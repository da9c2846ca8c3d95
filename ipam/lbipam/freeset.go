package lbipam

import (
	"encoding/binary"
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

// num is an address of a freeSet's family as a 128-bit number (IPv4 in the low 32 bits).
// Unlike netip.Addr it holds no pointer, so the set's spans cost the garbage collector
// nothing to scan and compare as two machine words.
type num struct{ hi, lo uint64 }

func (a num) less(b num) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }

// inc returns a+1; the caller ensures a is not the family's last address.
func (a num) inc() num {
	if a.lo == ^uint64(0) {
		return num{a.hi + 1, 0}
	}
	return num{a.hi, a.lo + 1}
}

// dec returns a-1; the caller ensures a is not zero.
func (a num) dec() num {
	if a.lo == 0 {
		return num{a.hi - 1, ^uint64(0)}
	}
	return num{a.hi, a.lo - 1}
}

func numOf(ip netip.Addr) num {
	if ip.Is4() {
		b := ip.As4()
		return num{0, uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := ip.As16()
	return num{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// span is one free interval first..last of a freeSet. The set holds spans by pointer and
// shrinks or grows them in place: free spans are disjoint and never adjacent, so moving a
// span's first address up (or its last address) never changes the order of the set.
type span struct{ first, last num }

func lessSpan(a, b *span) bool { return a.first.less(b.first) }

// freeSet is the free space of one range as a B-tree of disjoint, non-adjacent free
// spans ordered by first address. Taking the lowest free address costs O(1) (the lowest
// span shrinks in place; the tree changes only when a span empties); taking a given
// address and giving one back each cost O(log n) in the number of free spans. The set
// counts what it hands out, so its free size costs O(1).
type freeSet struct {
	t     *btree.BTreeG[*span]
	v6    bool
	total *big.Int // addresses of the range
	taken uint64   // addresses taken out of it
	// key is a reusable search key; found and findFirst are the reusable iterator state
	// of the lookups, so that no lookup allocates.
	key       span
	found     *span
	findFirst func(*span) bool
	// spare holds spans not yet handed out, allocated spanBatch at a time; dropped holds
	// spans removed from the tree, handed out again first.
	spare   []span
	dropped []*span
}

// spanBatch is how many spans a freeSet allocates at once.
const spanBatch = 32

func newFreeSet(r ipam.Range) *freeSet { return newFreeSetLess(r, lessSpan) }

// newFreeSetLess lets tests count comparisons; less must order as lessSpan.
func newFreeSetLess(r ipam.Range, less btree.LessFunc[*span]) *freeSet {
	s := &freeSet{t: btree.NewG(16, less), v6: r.First().Is6(), total: size(r)}
	s.findFirst = func(sp *span) bool { s.found = sp; return false }
	s.t.ReplaceOrInsert(s.newSpan(numOf(r.First()), numOf(r.Last())))
	return s
}

func (s *freeSet) newSpan(first, last num) *span {
	if n := len(s.dropped); n > 0 {
		sp := s.dropped[n-1]
		s.dropped = s.dropped[:n-1]
		sp.first, sp.last = first, last
		return sp
	}
	if len(s.spare) == 0 {
		s.spare = make([]span, spanBatch)
	}
	sp := &s.spare[0]
	s.spare = s.spare[1:]
	sp.first, sp.last = first, last
	return sp
}

func (s *freeSet) addr(n num) netip.Addr {
	if !s.v6 {
		return netip.AddrFrom4([4]byte{byte(n.lo >> 24), byte(n.lo >> 16), byte(n.lo >> 8), byte(n.lo)})
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], n.hi)
	binary.BigEndian.PutUint64(b[8:], n.lo)
	return netip.AddrFrom16(b)
}

// atOrBelow returns the span with the highest first address <= x, or nil.
func (s *freeSet) atOrBelow(x num) *span {
	s.key.first, s.found = x, nil
	s.t.DescendLessOrEqual(&s.key, s.findFirst)
	return s.found
}

// interval returns the free span holding the address x, or nil.
func (s *freeSet) interval(x num) *span {
	if sp := s.atOrBelow(x); sp != nil && !sp.last.less(x) {
		return sp
	}
	return nil
}

// inSet reports whether ip is of the set's family.
func (s *freeSet) inSet(ip netip.Addr) bool { return ip.Is6() == s.v6 }

// isFree reports whether ip is free.
func (s *freeSet) isFree(ip netip.Addr) bool {
	return s.inSet(ip) && s.interval(numOf(ip)) != nil
}

// takeLowest removes and returns the lowest free address.
func (s *freeSet) takeLowest() (netip.Addr, bool) {
	sp, ok := s.t.Min()
	if !ok {
		return netip.Addr{}, false
	}
	ip := s.addr(sp.first)
	if sp.first == sp.last {
		s.t.DeleteMin()
		s.dropped = append(s.dropped, sp)
	} else {
		sp.first = sp.first.inc()
	}
	s.taken++
	return ip, true
}

// take marks ip used; it reports false when ip was not free.
func (s *freeSet) take(ip netip.Addr) bool {
	if !s.inSet(ip) {
		return false
	}
	x := numOf(ip)
	sp := s.interval(x)
	if sp == nil {
		return false
	}
	switch {
	case sp.first == sp.last:
		s.t.Delete(sp)
		s.dropped = append(s.dropped, sp)
	case sp.first == x:
		sp.first = x.inc()
	case sp.last == x:
		sp.last = x.dec()
	default:
		right := s.newSpan(x.inc(), sp.last)
		sp.last = x.dec()
		s.t.ReplaceOrInsert(right)
	}
	s.taken++
	return true
}

// put marks ip free again, merging it with adjacent free spans; the caller ensures ip
// lies inside the range the set was made for. It reports false when ip was already free.
func (s *freeSet) put(ip netip.Addr) bool {
	if !s.inSet(ip) {
		return false
	}
	x := numOf(ip)
	pred := s.atOrBelow(x)
	if pred != nil && !pred.last.less(x) {
		return false
	}
	// pred starts at or below x and ends before it, so the first span at or above x
	// starts after x.
	s.key.first, s.found = x, nil
	s.t.AscendGreaterOrEqual(&s.key, s.findFirst)
	succ := s.found
	joinPred := pred != nil && pred.last.inc() == x
	joinSucc := succ != nil && x.inc() == succ.first
	switch {
	case joinPred && joinSucc:
		pred.last = succ.last
		s.t.Delete(succ)
		s.dropped = append(s.dropped, succ)
	case joinPred:
		pred.last = x
	case joinSucc:
		succ.first = x
	default:
		s.t.ReplaceOrInsert(s.newSpan(x, x))
	}
	s.taken--
	return true
}

// free returns the number of free addresses.
func (s *freeSet) free() *big.Int {
	n := new(big.Int).SetUint64(s.taken)
	return n.Sub(s.total, n)
}
