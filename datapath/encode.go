package datapath

import (
	"encoding/binary"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// The maps hold addresses and ports in network byte order. These helpers convert between
// netip values and the host-layout integers of the generated map types, whose in-memory
// bytes are then the network-order bytes.

func addrBE(a netip.Addr) uint32 {
	b := a.As4()
	return binary.NativeEndian.Uint32(b[:])
}

func portBE(p uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], p)
	return binary.NativeEndian.Uint16(b[:])
}

func addrFromBE(v uint32) netip.Addr {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

func portFromBE(v uint16) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], v)
	return binary.BigEndian.Uint16(b[:])
}

func svcKeyOf(fe lb.Frontend) svcKey {
	return svcKey{Vip: addrBE(fe.Addr.Addr()), Port: portBE(fe.Addr.Port()), Proto: uint8(fe.Protocol)}
}

func (k svcKey) frontend() lb.Frontend {
	return lb.Frontend{
		Addr:     netip.AddrPortFrom(addrFromBE(k.Vip), portFromBE(k.Port)),
		Protocol: lb.Protocol(k.Proto),
	}
}

func backendKeyOf(b *lb.Backend) revnatKey {
	return revnatKey{Addr: addrBE(b.Addr.Addr()), Port: portBE(b.Addr.Port()), Proto: uint8(b.Protocol)}
}

func (v *backendEntry) key() revnatKey {
	return revnatKey{Addr: v.Addr, Port: v.Port, Proto: v.Proto}
}

func (v *backendEntry) backend() lb.Backend {
	return lb.Backend{
		Addr:      netip.AddrPortFrom(addrFromBE(v.Addr), portFromBE(v.Port)),
		Protocol:  lb.Protocol(v.Proto),
		State:     lb.BackendState(v.State),
		ClusterID: v.ClusterId,
	}
}

func (k revnatKey) addrPort() netip.AddrPort {
	return netip.AddrPortFrom(addrFromBE(k.Addr), portFromBE(k.Port))
}

// u64 packs a frontend key into an integer for Go maps (never 0: ports are non-zero).
func (k svcKey) u64() uint64 {
	return uint64(k.Vip)<<32 | uint64(k.Port)<<16 | uint64(k.Proto)<<8 | uint64(k.Pad)
}

func svcKeyFrom64(u uint64) svcKey {
	return svcKey{Vip: uint32(u >> 32), Port: uint16(u >> 16), Proto: uint8(u >> 8), Pad: uint8(u)}
}

// u64 packs a backend key into an integer for Go maps.
func (k revnatKey) u64() uint64 {
	return uint64(k.Addr)<<32 | uint64(k.Port)<<16 | uint64(k.Proto)<<8 | uint64(k.Pad)
}
