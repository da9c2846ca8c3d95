package maglev

import (
	"encoding/binary"
	"net/netip"
)

// flowSeed seeds the 5-tuple hash; datapath/lb.c uses the same value.
const flowSeed = 0x9e3779b97f4a7c15

// FlowSlot returns the slot, in [0, m), of a table of m slots that ciliumkit's BPF
// programs (package datapath) pick for an IPv4 flow from src to dst with IANA protocol
// number proto (6 TCP, 17 UDP): the low 32 bits of the flow's 5-tuple hash, scaled to m by
// a multiply and shift. It returns 0 for non-IPv4 addresses or m = 0.
func FlowSlot(src, dst netip.AddrPort, proto uint8, m uint32) uint32 {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return 0
	}
	return uint32(flowHash(src, dst, proto) & 0xffffffff * uint64(m) >> 32)
}

// flowHash is the BPF programs' 5-tuple hash; addresses and ports enter it as host-order
// integers.
func flowHash(src, dst netip.AddrPort, proto uint8) uint64 {
	s, d := src.Addr().As4(), dst.Addr().As4()
	a := uint64(binary.BigEndian.Uint32(s[:]))<<32 | uint64(binary.BigEndian.Uint32(d[:]))
	b := uint64(src.Port())<<32 | uint64(dst.Port())<<16 | uint64(proto)
	return Mix64(a ^ Mix64(b^flowSeed))
}
