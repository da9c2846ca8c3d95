package maglev

import (
	"encoding/binary"
	"net/netip"
)

// flowSeed seeds the 5-tuple hash; datapath/lb.c uses the same value.
const flowSeed = 0x9e3779b97f4a7c15

// FlowSlot returns the slot, in [0, m), of a table of m slots that ciliumkit's BPF
// programs (package datapath) pick for a flow from src to dst with IANA protocol number
// proto (6 TCP, 17 UDP): the low 32 bits of the flow's 5-tuple hash, scaled to m by a
// multiply and shift. Both addresses must be IPv4 or both IPv6 (as the packet carries
// them: an IPv4-mapped IPv6 address counts as IPv6); it returns 0 otherwise or for m = 0.
func FlowSlot(src, dst netip.AddrPort, proto uint8, m uint32) uint32 {
	var h uint64
	switch s, d := src.Addr(), dst.Addr(); {
	case s.Is4() && d.Is4():
		h = flowHash(src, dst, proto)
	case s.Is6() && d.Is6():
		h = flowHash6(src, dst, proto)
	default:
		return 0
	}
	return uint32(h & 0xffffffff * uint64(m) >> 32)
}

// flowHash is the BPF programs' 5-tuple hash; addresses and ports enter it as host-order
// integers.
func flowHash(src, dst netip.AddrPort, proto uint8) uint64 {
	s, d := src.Addr().As4(), dst.Addr().As4()
	a := uint64(binary.BigEndian.Uint32(s[:]))<<32 | uint64(binary.BigEndian.Uint32(d[:]))
	b := uint64(src.Port())<<32 | uint64(dst.Port())<<16 | uint64(proto)
	return Mix64(a ^ Mix64(b^flowSeed))
}

// flowHash6 is the BPF programs' IPv6 5-tuple hash: ports and protocol, then the
// destination's low and high 64 bits, then the source's, each through Mix64.
func flowHash6(src, dst netip.AddrPort, proto uint8) uint64 {
	s, d := src.Addr().As16(), dst.Addr().As16()
	b := uint64(src.Port())<<32 | uint64(dst.Port())<<16 | uint64(proto)
	x := Mix64(b ^ flowSeed)
	x = Mix64(x ^ binary.BigEndian.Uint64(d[8:]))
	x = Mix64(x ^ binary.BigEndian.Uint64(d[:8]))
	x = Mix64(x ^ binary.BigEndian.Uint64(s[8:]))
	return Mix64(x ^ binary.BigEndian.Uint64(s[:8]))
}
