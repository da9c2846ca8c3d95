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

// svcKey returns the mirror key of fe (see addrField for intern and ok).
func (t *addrTable) svcKey(fe lb.Frontend, intern bool) (svcKey, bool, error) {
	v, ok, err := t.addrField(fe.Addr.Addr(), intern)
	return svcKey{Vip: v, Port: portBE(fe.Addr.Port()), Proto: uint8(fe.Protocol)}, ok, err
}

// frontend returns the frontend of mirror key k.
func (t *addrTable) frontend(k svcKey) lb.Frontend {
	return lb.Frontend{
		Addr:     netip.AddrPortFrom(t.netAddr(k.Vip), portFromBE(k.Port)),
		Protocol: lb.Protocol(k.Proto),
	}
}

// backendKey returns the mirror key of backend b (see addrField for intern and ok).
func (t *addrTable) backendKey(b *lb.Backend, intern bool) (revnatKey, bool, error) {
	v, ok, err := t.addrField(b.Addr.Addr(), intern)
	return revnatKey{Addr: v, Port: portBE(b.Addr.Port()), Proto: uint8(b.Protocol)}, ok, err
}

// addrPort returns the address and port of backend key k.
func (t *addrTable) addrPort(k revnatKey) netip.AddrPort {
	return netip.AddrPortFrom(t.netAddr(k.Addr), portFromBE(k.Port))
}

// backend returns the backend a mirror entry holds.
func (t *addrTable) backend(v *backendEntry) lb.Backend {
	return lb.Backend{
		Addr:      netip.AddrPortFrom(t.netAddr(v.Addr), portFromBE(v.Port)),
		Protocol:  lb.Protocol(v.Proto),
		State:     lb.BackendState(v.State),
		ClusterID: v.ClusterId,
	}
}

func (v *backendEntry) key() revnatKey {
	return revnatKey{Addr: v.Addr, Port: v.Port, Proto: v.Proto}
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

// The IPv6 maps' entries of mirror values whose address fields are handles.

func (t *addrTable) svcKey6(k svcKey) svcKey6 {
	return svcKey6{Vip: words6(t.addr(k.Vip)), Port: k.Port, Proto: k.Proto}
}

func (t *addrTable) revnatKey6(k revnatKey) revnatKey6 {
	return revnatKey6{Addr: words6(t.addr(k.Addr)), Port: k.Port, Proto: k.Proto}
}

func (t *addrTable) revnatVal6(v revnatVal) revnatVal6 {
	return revnatVal6{Vip: words6(t.addr(v.Vip)), Port: v.Port, SvcId: v.SvcId}
}

func (t *addrTable) backend6(v backendEntry) backendEntry6 {
	return backendEntry6{Addr: words6(t.addr(v.Addr)), Port: v.Port, Proto: v.Proto, State: v.State,
		ClusterId: v.ClusterId, SvcId: v.SvcId}
}

// The mirror values of IPv6 map entries, interning their addresses.

func (t *addrTable) fromSvcKey6(k *svcKey6) (svcKey, error) {
	v, err := t.intern(bytes6(k.Vip))
	return svcKey{Vip: v, Port: k.Port, Proto: k.Proto, Pad: k.Pad}, err
}

func (t *addrTable) fromRevnatKey6(k *revnatKey6) (revnatKey, error) {
	v, err := t.intern(bytes6(k.Addr))
	return revnatKey{Addr: v, Port: k.Port, Proto: k.Proto, Pad: k.Pad}, err
}

func (t *addrTable) fromRevnatVal6(v *revnatVal6) (revnatVal, error) {
	a, err := t.intern(bytes6(v.Vip))
	return revnatVal{Vip: a, Port: v.Port, Pad: v.Pad, SvcId: v.SvcId}, err
}

func (t *addrTable) fromBackend6(v *backendEntry6) (backendEntry, error) {
	a, err := t.intern(bytes6(v.Addr))
	return backendEntry{Addr: a, Port: v.Port, Proto: v.Proto, State: v.State, ClusterId: v.ClusterId, SvcId: v.SvcId}, err
}
