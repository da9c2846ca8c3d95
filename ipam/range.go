package ipam

import "net/netip"

// Range is an inclusive range of IP addresses of one family, First through Last: the one
// address-interval type of ipam and ipam/lbipam (the CIDR allocator's used space and LB
// IPAM's pool blocks and free space). Unlike go4.org/netipx.IPRange, whose netip.Addr
// bounds carry a pointer, a Range holds none and compares as machine words, which keeps
// large B-trees and maps of ranges cheap; convert with netipx.IPRangeFrom(r.First(),
// r.Last()) where a netipx type is wanted.
//
// Make one with RangeOf or RangeFrom. The zero Range is empty: it contains and overlaps
// nothing, and First and Last return the zero netip.Addr. Ranges are comparable with ==.
type Range struct {
	from, to u128
	// bits is the family's address length, 32 or 128; 0 only in the zero Range. It comes
	// last so that the words compared most often lead the struct.
	bits uint8
}

// RangeOf returns the addresses of p, from its first (masked) address through its last.
// It returns the zero Range when p is invalid. An IPv4-mapped IPv6 prefix gives an IPv6
// range.
func RangeOf(p netip.Prefix) Range {
	if !p.IsValid() {
		return Range{}
	}
	return rangeOf(p)
}

// RangeFrom returns the range first through last. ok is false, and r the zero Range, when
// either address is invalid or has a zone, the two are of different families, or last is
// before first. An IPv4-mapped IPv6 address counts as IPv6.
func RangeFrom(first, last netip.Addr) (r Range, ok bool) {
	if !first.IsValid() || first.BitLen() != last.BitLen() || (first.Is6() && (first.Zone() != "" || last.Zone() != "")) {
		return Range{}, false
	}
	r = Range{bits: uint8(first.BitLen()), from: toU128(first), to: toU128(last)}
	if r.to.cmp(r.from) < 0 {
		return Range{}, false
	}
	return r, true
}

// First returns the lowest address of r; the zero netip.Addr for the zero Range.
func (r Range) First() netip.Addr { return fromU128(r.from, r.bits) }

// Last returns the highest address of r; the zero netip.Addr for the zero Range.
func (r Range) Last() netip.Addr { return fromU128(r.to, r.bits) }

// Contains reports whether ip, of r's family, lies in r. The zone of ip is ignored.
func (r Range) Contains(ip netip.Addr) bool {
	if r.bits == 0 || ip.BitLen() != int(r.bits) {
		return false
	}
	a := toU128(ip)
	return r.from.cmp(a) <= 0 && a.cmp(r.to) <= 0
}

// Overlaps reports whether r and o share an address. Ranges of different families, and
// the zero Range, overlap nothing.
func (r Range) Overlaps(o Range) bool {
	return r.bits != 0 && r.overlaps(o)
}

// StartsBefore reports whether r starts before o: IPv4 ranges before IPv6 ranges, then
// by first address; the zero Range starts before every other. Ranges that start at the
// same address are equivalent whatever their last address, so that in a set of disjoint
// ranges sorted this way a one-address range finds the range that starts at it. Pass the
// method expression Range.StartsBefore itself as a B-tree less function; a closure
// around it copies both ranges on every call.
func (r Range) StartsBefore(o Range) bool {
	if r.bits != o.bits {
		return r.bits < o.bits
	}
	if r.from.hi != o.from.hi {
		return r.from.hi < o.from.hi
	}
	return r.from.lo < o.from.lo
}

// rangeOf returns the addresses of p, which must be valid.
func rangeOf(p netip.Prefix) Range {
	p = p.Masked()
	bits := uint8(p.Addr().BitLen())
	from := toU128(p.Addr())
	return Range{bits: bits, from: from, to: from.or(ones(int(bits) - p.Bits()))}
}

func (r Range) is6() bool { return r.bits == 128 }

// compareFirst is StartsBefore as a three-way comparison, for slices.SortFunc.
func compareFirst(a, b Range) int {
	if a.bits != b.bits {
		if a.bits < b.bits {
			return -1
		}
		return 1
	}
	return a.from.cmp(b.from)
}

// overlaps is Overlaps for ranges that are not zero.
func (r Range) overlaps(o Range) bool {
	return r.bits == o.bits && r.from.cmp(o.to) <= 0 && o.from.cmp(r.to) <= 0
}
