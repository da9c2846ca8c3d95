package datapath

import (
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// flowSeed seeds the 5-tuple hash; lb.c uses the same value.
const flowSeed = 0x9e3779b97f4a7c15

// FlowHash returns the hash the BPF programs compute for an IPv4 flow's 5-tuple; a
// frontend's packets go to the backend in slot FlowHash % M of its Maglev table. Addresses
// and ports enter the hash as host-order integers. It returns 0 for non-IPv4 addresses.
func FlowHash(src, dst netip.AddrPort, proto mesh.Protocol) uint64 {
	if !src.Addr().Is4() || !dst.Addr().Is4() {
		return 0
	}
	s, d := src.Addr().As4(), dst.Addr().As4()
	a := uint64(be32(s))<<32 | uint64(be32(d))
	b := uint64(src.Port())<<32 | uint64(dst.Port())<<16 | uint64(proto)
	return mix64(a ^ mix64(b^flowSeed))
}

// be32 reads a 4-byte address as a host-order integer.
func be32(a [4]byte) uint32 {
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}
