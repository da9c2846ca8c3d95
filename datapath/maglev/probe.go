package maglev

import (
	"math/bits"
	"slices"
)

// probe takes stop slots of table by probing, one for each backend in turn from perms[0],
// marks them in occ, and returns the index in perms of the backend whose turn is next.
// It probes with probeWindow while from 1/2 to 7/8 of the table is taken, and with
// probeBranchy before and after that, and throughout for fewer than 3 backends or M
// below windowMin.
func (b *Builder) probe(table []uint32, occ []uint64, perms []perm, stop uint32) int {
	lo, hi := min(stop, b.m/2), min(stop, b.m-b.m/8)
	if len(perms) <= 2 || b.m < windowMin {
		lo, hi = stop, stop
	}
	i := probeBranchy(table, occ, perms, b.m, lo, 0)
	i = b.probeWindow(table, occ, perms, hi-lo, i)
	return probeBranchy(table, occ, perms, b.m, stop-hi, i)
}

// probeBranchy takes stop slots for the backends in turn from perms[i] as probe does, with
// a loop per slot that stops at the first free slot: cheapest while few probes find their
// slot taken (each exit of the loop that is not predicted costs a pipeline flush) and
// again when most do (the loop then mostly goes on, which is predicted).
func probeBranchy(table []uint32, occ []uint64, perms []perm, m, stop uint32, i int) int {
	for ; stop > 0; stop-- {
		p := &perms[i]
		c, skip := p.next, p.skip
		for occ[c/64]&(1<<(c%64)) != 0 {
			c = wrap(c+skip, m)
		}
		occ[c/64] |= 1 << (c % 64)
		table[c] = p.idx
		p.next = wrap(c+skip, m)
		if i++; i == len(perms) {
			i = 0
		}
	}
	return i
}

// probeWindow takes stop slots for the backends in turn from perms[i] as probe does. It
// tests the first 4 slots of each backend's permutation together and picks the first
// free one without a branch on which it is (using j*skip mod M for j = 0..4, kept in
// b.mults), looping only when all 4 are taken: cheaper than probeBranchy while from
// about 1/2 to 7/8 of the slots are taken, when a branch on each would often be
// mispredicted.
func (b *Builder) probeWindow(table []uint32, occ []uint64, perms []perm, stop uint32, i int) int {
	m, n := b.m, len(perms)
	mults := slices.Grow(b.mults[:0], n)[:n]
	b.mults = mults
	for q := range perms {
		s := perms[q].skip
		mults[q] = [5]uint32{0, s, wrap(s+s, m)}
		mults[q][3] = wrap(mults[q][2]+s, m)
		mults[q][4] = wrap(mults[q][3]+s, m)
	}
	for ; stop > 0; stop-- {
		p, mu := &perms[i], &mults[i]
		c0 := p.next
		c1, c2, c3 := wrap(c0+mu[1], m), wrap(c0+mu[2], m), wrap(c0+mu[3], m)
		t := occ[c0/64]>>(c0%64)&1 | occ[c1/64]>>(c1%64)&1<<1 | occ[c2/64]>>(c2%64)&1<<2 | occ[c3/64]>>(c3%64)&1<<3
		var c, next uint32
		if t == 15 {
			c = wrap(c3+p.skip, m)
			for occ[c/64]&(1<<(c%64)) != 0 {
				c = wrap(c+p.skip, m)
			}
			next = wrap(c+p.skip, m)
		} else {
			j := bits.TrailingZeros8(^uint8(t)) & 3 // the first free of the 4
			c, next = wrap(c0+mu[j], m), wrap(c0+mu[j+1], m)
		}
		occ[c/64] |= 1 << (c % 64)
		table[c] = p.idx
		p.next = next
		if i++; i == n {
			i = 0
		}
	}
	return i
}

// wrap returns c mod m for c < 2m < 2^31, without a branch: whether the probe wraps
// around the table is as good as random, so a branch would be mispredicted often.
func wrap(c, m uint32) uint32 {
	return c - m&uint32(int32(m-1-c)>>31)
}
