package maglev

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
)

// Seeds of the two backend hashes that give each backend its permutation (offset and
// skip). They are fixed so that every node builds the same table for the same backends.
const (
	seedOffset = 0x243f6a8885a308d3
	seedSkip   = 0x13198a2e03707344
)

// Backend is what a backend's place in a table depends on: its address, port and IP
// protocol. Nothing else (state, cluster, weight) enters the table.
type Backend struct {
	// Addr is the backend's IP address and port.
	Addr netip.AddrPort
	// Protocol is the IANA protocol number: 6 for TCP, 17 for UDP (lb.Protocol values
	// convert with uint8(p)).
	Protocol uint8
}

// Hash returns the backend's 64-bit hash of Addr and Protocol that sets where its
// permutation starts. It is the same on every node and in every version of this package,
// so callers may store it, for example in a fingerprint of a table's inputs.
func (b Backend) Hash() uint64 { return b.hash(seedOffset) }

// hash returns one seeded hash of the backend's address, port and protocol.
func (b *Backend) hash(seed uint64) uint64 {
	a16 := b.Addr.Addr().As16()
	hi := binary.BigEndian.Uint64(a16[:8])
	lo := binary.BigEndian.Uint64(a16[8:])
	pp := uint64(b.Addr.Port())<<8 | uint64(b.Protocol)
	return Mix64(hi ^ Mix64(lo^Mix64(pp^seed)))
}

// Builder builds Maglev lookup tables of M slots. Each backend owns either floor(M/N) or
// ceil(M/N) of the slots of a table of N backends, and the table depends only on the set
// of backends, not on their order. A Builder reuses its buffers between calls and is not
// safe for concurrent use; the zero value is not usable, call New.
type Builder struct {
	m     uint32
	c     uint64 // fastModC(m), for remainders modulo m without division
	perms []perm
	occ   []uint64    // bitmap of the taken slots
	empty []uint32    // the empty slots when probing stops
	mults [][5]uint32 // probeWindow's j*skip mod M for j = 0..4, per backend
	ranks []uint64    // fillRanked's bitmaps, M bits per backend
	rs    []rankState
}

// perm is one backend's permutation: the next slot it wants and its step.
type perm struct {
	key  [2]uint64 // sort key (hashes), so that input order does not matter
	next uint32
	skip uint32
	idx  uint32 // what its slots get: its index in the caller's backends, or its value
	inv  uint32 // skip's inverse modulo M, 0 until fillTail needs it
}

// New returns a Builder of tables of m slots; m must be a prime in [MinSize, MaxSize]
// (see ValidateSize), else the error wraps ErrInvalidSize.
func New(m uint32) (*Builder, error) {
	if err := ValidateSize(m); err != nil {
		return nil, err
	}
	return &Builder{m: m, c: fastModC(m)}, nil
}

// Size returns M, the number of slots of the tables b builds.
func (b *Builder) Size() uint32 { return b.m }

// Fill writes a Maglev table into table, which must have exactly M elements (else the
// error wraps ErrInvalidSize): table[i] is the index in backends of the backend that owns
// slot i. backends must hold between 1 and M entries (else the error wraps
// ErrTooManyBackends) and is not modified. Distinct backends should differ in Addr or
// Protocol; equal ones share one permutation.
func (b *Builder) Fill(table []uint32, backends []Backend) error {
	return b.fill(table, backends, nil)
}

// FillValues is Fill writing vals[j] instead of j: table[i] = vals[j] where backends[j]
// owns slot i (for example backend IDs, which saves a pass over the table). vals must have
// one entry per backend, else the error wraps ErrValueCount; any uint32 values may be
// used. The slots owned are those of Fill, whatever the values.
func (b *Builder) FillValues(table []uint32, backends []Backend, vals []uint32) error {
	if len(vals) != len(backends) {
		return fmt.Errorf("%w: %d values for %d backends", ErrValueCount, len(vals), len(backends))
	}
	return b.fill(table, backends, vals)
}

// fill is Fill, writing vals[j] (j when vals is nil) for backends[j].
func (b *Builder) fill(table []uint32, backends []Backend, vals []uint32) error {
	m := b.m
	if uint32(len(table)) != m || len(table) != int(m) {
		return fmt.Errorf("%w: table has %d slots, want M = %d", ErrInvalidSize, len(table), m)
	}
	n := len(backends)
	if n == 0 || n > int(m) {
		return fmt.Errorf("%w: %d backends for M = %d", ErrTooManyBackends, n, m)
	}
	val := func(i int) uint32 {
		if vals == nil {
			return uint32(i)
		}
		return vals[i]
	}
	if n == 1 {
		v := val(0)
		for i := range table {
			table[i] = v // a sole backend owns every slot
		}
		return nil
	}
	perms := slices.Grow(b.perms[:0], n)[:n]
	for i := range backends {
		h1, h2 := backends[i].hash(seedOffset), backends[i].hash(seedSkip)
		perms[i] = perm{
			key:  [2]uint64{h1, h2},
			next: uint32(h1 % uint64(m)),
			skip: uint32(h2%uint64(m-1)) + 1,
			idx:  val(i),
		}
	}
	b.perms = perms
	slices.SortFunc(perms, func(a, b perm) int {
		if c := cmp.Compare(a.key[0], b.key[0]); c != 0 {
			return c
		}
		return cmp.Compare(a.key[1], b.key[1])
	})

	// Taken slots are tracked in a bitmap (M/8 bytes, which stays in the L1 cache where
	// the table may not), and every slot of table is written once.
	words := int(m+63) / 64
	occ := slices.Grow(b.occ[:0], words)[:words]
	clear(occ)
	b.occ = occ
	k, ranked := tailPlan(m, n)
	i := b.probe(table, occ, perms, m-k)
	es := b.emptySlots(occ)
	if ranked {
		b.fillRanked(table, es, perms, i)
	} else {
		b.fillTail(table, es, perms, i)
	}
	return nil
}

// Mix64 is the 64-bit finalizer (MurmurHash3's fmix64) that Maglev's permutations and
// the BPF programs use; package datapath fingerprints tables with it too.
func Mix64(z uint64) uint64 {
	z ^= z >> 33
	z *= 0xff51afd7ed558ccd
	z ^= z >> 33
	z *= 0xc4ceb9fe1a85ec53
	z ^= z >> 33
	return z
}
