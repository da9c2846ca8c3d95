package datapath

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Offsets in the IPv6 test packets: Ethernet (14) + IPv6 (40) + L4.
const offL4v6 = 54

// packet6 builds an Ethernet/IPv6/TCP or UDP packet with a valid L4 checksum and a
// payload.
func packet6(src, dst netip.AddrPort, proto lb.Protocol) []byte {
	payload := []byte("ciliumkit test payload")
	l4len := 20
	if proto == lb.UDP {
		l4len = 8
	}
	b := make([]byte, offL4v6+l4len+len(payload))
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 0xb})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 0xa})
	binary.BigEndian.PutUint16(b[12:], 0x86dd)
	ip := b[offIP:]
	binary.BigEndian.PutUint32(ip[0:], 0x6000_0000|0x12345) // version 6, flow label
	binary.BigEndian.PutUint16(ip[4:], uint16(l4len+len(payload)))
	ip[6] = uint8(proto)
	ip[7] = 64
	s, d := src.Addr().As16(), dst.Addr().As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	l4 := b[offL4v6:]
	fillL4(l4, src.Port(), dst.Port(), proto, l4len, payload)
	binary.BigEndian.PutUint16(l4[l4CsumOff(proto):], l4Checksum6(b))
	return b
}

// l4Checksum6 computes the TCP, UDP or ICMPv6 checksum of IPv6 packet b from scratch,
// with the IPv6 pseudo-header and the checksum field taken as zero. A UDP result of 0 is
// sent as 0xffff.
func l4Checksum6(b []byte) uint16 {
	ip := b[offIP:]
	next := ip[6]
	off := 2 // ICMPv6
	switch next {
	case 6:
		off = 16
	case 17:
		off = 6
	}
	l4 := make([]byte, len(b)-offL4v6)
	copy(l4, b[offL4v6:])
	l4[off], l4[off+1] = 0, 0
	s := sum16(ip[8:40], 0)
	s += uint32(next) + uint32(len(l4))
	c := ^fold(sum16(l4, s))
	if next == 17 && c == 0 {
		c = 0xffff
	}
	return c
}

// flowOf6 reads the 5-tuple of an IPv6 test packet.
func flowOf6(b []byte) (src, dst netip.AddrPort) {
	ip := b[offIP:]
	l4 := b[offL4v6:]
	src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[8:24])), binary.BigEndian.Uint16(l4[0:]))
	dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip[24:40])), binary.BigEndian.Uint16(l4[2:]))
	return src, dst
}

// checkPacket6 verifies the L4 checksum of b against one recomputed from scratch and that
// b equals orig outside the addresses, ports and checksum.
func checkPacket6(t *testing.T, orig, b []byte) {
	t.Helper()
	if len(b) != len(orig) {
		t.Fatalf("length %d, want %d", len(b), len(orig))
	}
	proto := lb.Protocol(b[offIP+6])
	off := offL4v6 + l4CsumOff(proto)
	if got, want := binary.BigEndian.Uint16(b[off:]), l4Checksum6(b); got != want {
		t.Errorf("%v checksum %#04x, recomputed %#04x", proto, got, want)
	}
	for i := range b {
		addr := i >= offIP+8 && i < offIP+40
		port := i >= offL4v6 && i < offL4v6+4
		if !addr && !port && i != off && i != off+1 && b[i] != orig[i] {
			t.Errorf("byte %d changed: %#02x -> %#02x", i, orig[i], b[i])
		}
	}
}

// neighborSolicitation builds an Ethernet/IPv6 neighbour solicitation from src (MAC
// 02:00:00:00:00:0a) for target, to its solicited-node multicast address, with a source
// link-layer address option unless noOption.
func neighborSolicitation(src, target netip.Addr, noOption bool) []byte {
	n := offL4v6 + 24
	if !noOption {
		n += 8
	}
	b := make([]byte, n)
	t16 := target.As16()
	copy(b[0:6], []byte{0x33, 0x33, 0xff, t16[13], t16[14], t16[15]})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 0xa})
	binary.BigEndian.PutUint16(b[12:], 0x86dd)
	ip := b[offIP:]
	binary.BigEndian.PutUint32(ip[0:], 0x6000_0000)
	binary.BigEndian.PutUint16(ip[4:], uint16(n-offL4v6))
	ip[6] = 58
	ip[7] = 255
	s := src.As16()
	copy(ip[8:], s[:])
	dst := netip.AddrFrom16([16]byte{0xff, 0x02, 11: 1, 12: 0xff, 13: t16[13], 14: t16[14], 15: t16[15]}).As16()
	copy(ip[24:], dst[:])
	icmp := b[offL4v6:]
	icmp[0] = 135
	copy(icmp[8:], t16[:])
	if !noOption {
		icmp[24], icmp[25] = 1, 1
		copy(icmp[26:], []byte{0x02, 0, 0, 0, 0, 0xa})
	}
	binary.BigEndian.PutUint16(icmp[2:], l4Checksum6(b))
	return b
}

func TestPacket6BuilderChecksums(t *testing.T) {
	// A packet with a valid checksum sums to 0xffff over the L4 segment plus
	// pseudo-header, checksum field included (RFC 1071, RFC 8200 8.1).
	for _, b := range [][]byte{
		packet6(netip.MustParseAddrPort("[fd00::1]:1000"), netip.MustParseAddrPort("[fd00::2]:53"), lb.UDP),
		packet6(netip.MustParseAddrPort("[fd00::1]:1000"), netip.MustParseAddrPort("[fd00::2]:80"), lb.TCP),
		neighborSolicitation(netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"), false),
	} {
		ip := b[offIP:]
		s := sum16(ip[8:40], uint32(ip[6])+uint32(len(b)-offL4v6))
		if got := fold(sum16(b[offL4v6:], s)); got != 0xffff {
			t.Errorf("next header %d: segment with pseudo-header does not sum to 0xffff: %#04x", ip[6], got)
		}
	}
}
