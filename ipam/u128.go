package ipam

import (
	"encoding/binary"
	"math"
	"net/netip"
)

// u128 is an address as a 128-bit number (IPv4 in the low 32 bits). It holds no pointers,
// unlike netip.Addr, which keeps the search structures cheap for the garbage collector.
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

func (a u128) or(b u128) u128  { return u128{a.hi | b.hi, a.lo | b.lo} }
func (a u128) and(b u128) u128 { return u128{a.hi & b.hi, a.lo & b.lo} }
func (a u128) isZero() bool    { return a.hi == 0 && a.lo == 0 }

// next returns a+1 and false when a is the last address of the family.
func (a u128) next(v6 bool) (u128, bool) {
	if a == lastAddr(v6) {
		return a, false
	}
	if a.lo == math.MaxUint64 {
		return u128{a.hi + 1, 0}, true
	}
	return u128{a.hi, a.lo + 1}, true
}

// ones returns a number with the low n bits set, 0 <= n <= 128.
func ones(n int) u128 {
	switch {
	case n >= 128:
		return u128{math.MaxUint64, math.MaxUint64}
	case n >= 64:
		return u128{1<<(n-64) - 1, math.MaxUint64}
	}
	return u128{0, 1<<n - 1}
}

func lastAddr(v6 bool) u128 {
	if v6 {
		return ones(128)
	}
	return ones(32)
}

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{0, uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// fromU128 returns a as an address of bits bits (32 or 128); the zero Addr for bits 0.
func fromU128(a u128, bits uint8) netip.Addr {
	switch bits {
	case 32:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(a.lo))
		return netip.AddrFrom4(b)
	case 128:
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], a.hi)
		binary.BigEndian.PutUint64(b[8:], a.lo)
		return netip.AddrFrom16(b)
	}
	return netip.Addr{}
}

// alignUp returns the first address >= a that starts a block with host host bits, and
// false when the family's address space ends first.
func alignUp(a u128, host int, v6 bool) (u128, bool) {
	m := ones(host)
	if a.and(m).isZero() {
		return a, true
	}
	return a.or(m).next(v6)
}
