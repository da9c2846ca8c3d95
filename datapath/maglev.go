package datapath

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// MaxMaglevTableSize is the largest Maglev table size M accepted.
const MaxMaglevTableSize = 131071

// Seeds of the two backend hashes that give each backend its Maglev permutation (offset
// and skip). They are fixed so that every node builds the same table for the same backends.
const (
	maglevSeedOffset = 0x243f6a8885a308d3
	maglevSeedSkip   = 0x13198a2e03707344
)

// Maglev builds Maglev lookup tables (Eisenbud et al., NSDI 2016) with M slots. Each
// backend owns either floor(M/N) or ceil(M/N) of the slots of a table of N backends, and
// the table depends only on the set of backends, not on their order. A Maglev reuses its
// buffers between calls and is not safe for concurrent use; the zero value is not usable,
// call NewMaglev.
type Maglev struct {
	m     uint32
	perms []maglevPerm
}

// maglevPerm is one backend's permutation: the next slot it wants and its step.
type maglevPerm struct {
	key  [2]uint64 // sort key (hashes), so that input order does not matter
	next uint32
	skip uint32
	idx  uint32 // index into the caller's backends
}

// NewMaglev returns a table builder for tables of m slots; m must be a prime in
// [3, MaxMaglevTableSize] (Cilium's sizes 251 ... 131071 all qualify).
func NewMaglev(m uint32) (*Maglev, error) {
	if err := checkMaglevSize(m); err != nil {
		return nil, err
	}
	return &Maglev{m: m}, nil
}

// Size returns M, the number of slots of the tables g builds.
func (g *Maglev) Size() uint32 { return g.m }

// Fill writes a Maglev table into table, which must have exactly M elements: table[i] is
// the index in backends of the backend that owns slot i. A backend's permutation comes
// from its address, port and protocol only. backends must hold between 1 and M entries.
func (g *Maglev) Fill(table []uint32, backends []mesh.Backend) error {
	m := g.m
	if uint32(len(table)) != m || len(table) != int(m) {
		return fmt.Errorf("%w: table has %d slots, want M = %d", ErrInvalidMaglevSize, len(table), m)
	}
	n := len(backends)
	if n == 0 || n > int(m) {
		return fmt.Errorf("%w: %d backends for M = %d, want 1..M", ErrTooManyBackends, n, m)
	}
	perms := slices.Grow(g.perms[:0], n)[:n]
	for i := range backends {
		h1, h2 := backendHash(&backends[i])
		perms[i] = maglevPerm{
			key:  [2]uint64{h1, h2},
			next: uint32(h1 % uint64(m)),
			skip: uint32(h2%uint64(m-1)) + 1,
			idx:  uint32(i),
		}
	}
	g.perms = perms
	slices.SortFunc(perms, func(a, b maglevPerm) int {
		if c := cmp.Compare(a.key[0], b.key[0]); c != 0 {
			return c
		}
		return cmp.Compare(a.key[1], b.key[1])
	})

	const empty = ^uint32(0)
	for i := range table {
		table[i] = empty
	}
	filled := uint32(0)
	for {
		for i := range perms {
			p := &perms[i]
			c, skip := p.next, p.skip
			for table[c] != empty {
				if c += skip; c >= m {
					c -= m
				}
			}
			table[c] = p.idx
			if c += skip; c >= m {
				c -= m
			}
			p.next = c
			if filled++; filled == m {
				return nil
			}
		}
	}
}

// backendHash returns the two 64-bit hashes of a backend's address, port and protocol
// that seed its permutation.
func backendHash(b *mesh.Backend) (uint64, uint64) {
	return backendHashSeed(b, maglevSeedOffset), backendHashSeed(b, maglevSeedSkip)
}

// backendHashSeed returns one hash of a backend's address, port and protocol.
func backendHashSeed(b *mesh.Backend, seed uint64) uint64 {
	a16 := b.Addr.Addr().As16()
	hi := binary.BigEndian.Uint64(a16[:8])
	lo := binary.BigEndian.Uint64(a16[8:])
	pp := uint64(b.Addr.Port())<<8 | uint64(b.Protocol)
	return mix64(hi ^ mix64(lo^mix64(pp^seed)))
}

// mix64 is a 64-bit finalizer (MurmurHash3's fmix64); the BPF programs use the same one.
func mix64(z uint64) uint64 {
	z ^= z >> 33
	z *= 0xff51afd7ed558ccd
	z ^= z >> 33
	z *= 0xc4ceb9fe1a85ec53
	z ^= z >> 33
	return z
}

// checkMaglevSize reports whether m is a prime in [3, MaxMaglevTableSize].
func checkMaglevSize(m uint32) error {
	if m < 3 || m > MaxMaglevTableSize {
		return fmt.Errorf("%w: M = %d, want a prime in [3, %d]", ErrInvalidMaglevSize, m, MaxMaglevTableSize)
	}
	for d := uint32(2); d*d <= m; d++ {
		if m%d == 0 {
			return fmt.Errorf("%w: M = %d is not prime (divisible by %d)", ErrInvalidMaglevSize, m, d)
		}
	}
	return nil
}
