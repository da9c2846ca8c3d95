package maglev

import (
	"math/bits"
	"slices"
)

// How a table is filled. Probing takes the first free slot of each backend's permutation
// in turn; it costs about M/k probes for a slot when k slots are empty, so it stops while
// many are, and a tail method fills the rest with the same result: fillRanked in about
// 2*N*k remainders plus N*M/32 bitmap words, or fillTail in about k*k/2
// multiply-adds. The constants below were measured with BenchmarkFill (amd64): at
// M = 16381 a table of 3 backends takes about 13,600 slots by probing and 2,700 with
// fillRanked, one of 100 backends 16,250 by probing and 127 with fillTail.
const (
	// rankedStart sets where fillRanked starts: at k = M/(rankedStart*N) empty slots.
	rankedStart = 2
	// rankedMin is the least such k for which fillRanked is used: below it the bitmaps'
	// N*M/32 words cost more than fillTail from sqrt(M) empty slots.
	rankedMin = 400
	// windowMin is the least M for which probe uses probeWindow: in a smaller table the
	// slots probeWindow tests are often in the bitmap word it just wrote, and waiting for
	// that write costs more than the mispredicted branches it saves.
	windowMin = 16000
)

// tailPlan returns how many empty slots k (1 <= k <= M) probing leaves to the tail of a
// table of m slots and n >= 2 backends, and whether fillRanked (else fillTail) fills
// them: fillRanked from M/(2N) empty slots where that is at least rankedMin and n > 2,
// else fillTail from floor(sqrt(M)). With 2 backends, whose probes rarely find a slot
// taken (a backend's own slots are behind it in its permutation), probing longer is
// cheaper.
func tailPlan(m uint32, n int) (k uint32, ranked bool) {
	if k = m / uint32(rankedStart*n); k >= rankedMin && n > 2 {
		return k, true
	}
	k = 1
	for (k+1)*(k+1) <= m {
		k++
	}
	return k, false
}

// rankState is one backend's permutation in fillRanked's terms. The rank of slot e is
// its distance in the permutation from the backend's next slot p, (e-p)*skip^-1 mod M,
// computed as fastMod(e*ci+base, M); the slot of rank j is p+j*skip mod M, computed as
// fastMod(j*cs+cn, M).
type rankState struct {
	ci, base uint64
	cs, cn   uint64
	w        int // index in Builder.ranks of the first word of its bitmap that may have a bit set
}

// emptySlots returns the slots not taken in occ, in increasing order, in b.empty's buffer.
func (b *Builder) emptySlots(occ []uint64) []uint32 {
	es := b.empty[:0]
	for w, x := range occ {
		for x = ^x; x != 0; x &= x - 1 {
			if e := uint32(w*64 + bits.TrailingZeros64(x)); e < b.m {
				es = append(es, e)
			}
		}
	}
	b.empty = es
	return es
}

// fillTail fills the empty slots es (at least one) of table, continuing the round at
// perms[start]: each backend in turn takes the empty slot that comes first in its
// permutation from its next slot, which is what probing finds (every slot before it in
// the permutation is taken). That slot has the least rank (e - next) * skip^-1 mod M
// over the empty slots e (next as when the tail started), and since the rank is
// fastMod(e*ci+base, M) (see rankState), which grows with e*ci+base mod 2^64, it is the
// slot with the least e*ci+base: each take costs one multiply-add per empty slot left,
// about k*k/2 for k slots.
func (b *Builder) fillTail(table []uint32, es []uint32, perms []perm, start int) {
	m, c := b.m, b.c
	for i := start; ; i++ {
		if i == len(perms) {
			i = 0
		}
		p := &perms[i]
		if p.inv == 0 {
			p.inv = inverse(p.skip, m)
		}
		ci := c * uint64(p.inv)
		base := uint64(m-p.next) * ci // p.next stays where the tail started
		best, bx := 0, ^uint64(0)
		for x, e := range es {
			if v := uint64(e)*ci + base; v < bx {
				best, bx = x, v
			}
		}
		e := es[best]
		table[e] = p.idx
		es[best] = es[len(es)-1]
		if es = es[:len(es)-1]; len(es) == 0 {
			return
		}
	}
}

// fillRanked does what fillTail does with one bitmap of M bits per backend, in which bit j
// is set while the slot of rank j (see rankState) is empty. A backend's next slot is its
// lowest set bit, which is never below the word where its last one was, since bits are
// only cleared: taking a slot clears its bit in every backend's bitmap. For N backends
// and k empty slots es (at least one) it costs about 2*N*k remainders (N*k to set the
// bits, then per take one for the slot and N-1 to clear it in the other bitmaps) plus
// N*M/32 word reads and writes.
func (b *Builder) fillRanked(table []uint32, es []uint32, perms []perm, start int) {
	m, c, n := b.m, b.c, len(perms)
	words := int(m+63) / 64
	ranks := slices.Grow(b.ranks[:0], n*words)[:n*words]
	clear(ranks)
	b.ranks = ranks
	rs := slices.Grow(b.rs[:0], n)[:n]
	b.rs = rs
	for i := range perms {
		p := &perms[i]
		ci := c * uint64(inverse(p.skip, m))
		r := rankState{ci: ci, base: uint64(m-p.next) * ci, cs: c * uint64(p.skip), cn: c * uint64(p.next), w: i * words}
		rs[i] = r
		for _, e := range es {
			j := fastMod(uint64(e)*r.ci+r.base, m)
			ranks[r.w+int(j/64)] |= 1 << (j % 64)
		}
	}
	left := len(es)
	for i := start; ; i++ {
		if i == n {
			i = 0
		}
		r := &rs[i]
		w := r.w
		for ranks[w] == 0 {
			w++
		}
		r.w = w
		j := uint32(w-i*words)*64 + uint32(bits.TrailingZeros64(ranks[w]))
		e := fastMod(uint64(j)*r.cs+r.cn, m)
		table[e] = perms[i].idx
		ranks[w] &= ranks[w] - 1
		for q := range rs[:i] {
			x := fastMod(uint64(e)*rs[q].ci+rs[q].base, m)
			ranks[q*words+int(x/64)] &^= 1 << (x % 64)
		}
		for q := i + 1; q < n; q++ {
			x := fastMod(uint64(e)*rs[q].ci+rs[q].base, m)
			ranks[q*words+int(x/64)] &^= 1 << (x % 64)
		}
		if left--; left == 0 {
			return
		}
	}
}

// fastModC returns ceil(2^64/m) for fastMod (m >= 2).
func fastModC(m uint32) uint64 { return ^uint64(0)/uint64(m) + 1 }

// fastMod returns a mod m given x = fastModC(m)*a mod 2^64: Lemire, Kaser and Kurz's
// direct remainder ("Faster remainder by direct computation", 2019), exact for every
// a < 2^b with m*2^b <= 2^64 (a < 2^47 at m = MaxSize; the tails' a stay below 2*M*M).
// It takes x rather than a so that callers can premultiply: c*(u*a+v) mod 2^64 is
// u*(c*a)+c*v with wrapping arithmetic.
func fastMod(x uint64, m uint32) uint32 {
	hi, _ := bits.Mul64(x, uint64(m))
	return uint32(hi)
}

// inverse returns the inverse of s modulo the prime m (1 <= s < m).
func inverse(s, m uint32) uint32 {
	// Extended Euclid: r0 = m, r1 = s, tracking t with t*s = r (mod m).
	r0, r1 := int64(m), int64(s)
	t0, t1 := int64(0), int64(1)
	for r1 != 0 {
		q := r0 / r1
		r0, r1 = r1, r0-q*r1
		t0, t1 = t1, t0-q*t1
	}
	if t0 < 0 {
		t0 += int64(m)
	}
	return uint32(t0)
}
