package ipam

import (
	"net/netip"

	"go4.org/netipx"
)

// span is a closed address range [from, to] of one family.
type span struct{ from, to netip.Addr }

func spanOf(p netip.Prefix) span { return span{p.Addr(), netipx.PrefixLastIP(p)} }

func spanLess(a, b span) bool { return a.from.Less(b.from) }

// overlaps reports whether the closed ranges share an address. Ranges of different families
// never overlap, because netip orders every IPv4 address before every IPv6 address.
func (s span) overlaps(o span) bool {
	return s.from.Compare(o.to) <= 0 && o.from.Compare(s.to) <= 0
}

// alignUp returns the first address >= a that starts a block of length bits, or an invalid
// address when the family's address space ends first.
func alignUp(a netip.Addr, bits int) netip.Addr {
	p := netip.PrefixFrom(a, bits).Masked()
	if p.Addr() == a {
		return a
	}
	return netipx.PrefixLastIP(p).Next()
}
