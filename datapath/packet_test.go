package datapath

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Offsets in the test packets: Ethernet (14) + IPv4 without options (20) + L4.
const (
	offIP  = 14
	offL4  = 34
	ipHLen = 20
)

// packet builds an Ethernet/IPv4/TCP or UDP packet with valid checksums and a payload.
// udpNoCsum leaves a UDP checksum of 0 (none).
func packet(src, dst netip.AddrPort, proto lb.Protocol, udpNoCsum bool) []byte {
	payload := []byte("ciliumkit test payload")
	l4len := 20
	if proto == lb.UDP {
		l4len = 8
	}
	b := make([]byte, offL4+l4len+len(payload))
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 0xb})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 0xa})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[offIP:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(len(b)-offIP))
	binary.BigEndian.PutUint16(ip[4:], 0x1234)
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	ip[8] = 64
	ip[9] = uint8(proto)
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	l4 := b[offL4:]
	fillL4(l4, src.Port(), dst.Port(), proto, l4len, payload)
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip[:ipHLen]))
	if proto == lb.UDP && udpNoCsum {
		return b
	}
	binary.BigEndian.PutUint16(l4[l4CsumOff(proto):], l4Checksum(b))
	return b
}

// fillL4 writes a TCP (PSH|ACK, sequence 1000) or UDP header of l4len bytes and payload
// into l4, checksum left 0.
func fillL4(l4 []byte, sport, dport uint16, proto lb.Protocol, l4len int, payload []byte) {
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	if proto == lb.TCP {
		binary.BigEndian.PutUint32(l4[4:], 1000)
		l4[12] = 5 << 4
		l4[13] = 0x18 // PSH|ACK
		binary.BigEndian.PutUint16(l4[14:], 65535)
	} else {
		binary.BigEndian.PutUint16(l4[4:], uint16(l4len+len(payload)))
	}
	copy(l4[l4len:], payload)
}

func l4CsumOff(proto lb.Protocol) int {
	if proto == lb.TCP {
		return 16
	}
	return 6
}

// sum16 is the ones-complement sum of b as big-endian 16-bit words.
func sum16(b []byte, s uint32) uint32 {
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// ipChecksum computes an IPv4 header checksum from scratch (the checksum field skipped).
func ipChecksum(h []byte) uint16 {
	c := make([]byte, len(h))
	copy(c, h)
	c[10], c[11] = 0, 0
	return ^fold(sum16(c, 0))
}

// l4Checksum computes the TCP or UDP checksum of packet b from scratch, with the IPv4
// pseudo-header and the checksum field taken as zero. A UDP result of 0 is sent as 0xffff.
func l4Checksum(b []byte) uint16 {
	ip := b[offIP:]
	proto := lb.Protocol(ip[9])
	l4 := make([]byte, len(b)-offL4)
	copy(l4, b[offL4:])
	off := l4CsumOff(proto)
	l4[off], l4[off+1] = 0, 0
	s := sum16(ip[12:20], 0)
	s += uint32(proto) + uint32(len(l4))
	c := ^fold(sum16(l4, s))
	if proto == lb.UDP && c == 0 {
		c = 0xffff
	}
	return c
}

// flowOf reads the 5-tuple of a test packet.
func flowOf(b []byte) (src, dst netip.AddrPort, proto lb.Protocol) {
	ip := b[offIP:]
	l4 := b[offL4:]
	src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(l4[0:]))
	dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(l4[2:]))
	return src, dst, lb.Protocol(ip[9])
}

// checkPacket verifies both checksums of b against values recomputed from scratch (a UDP
// checksum of 0 must stay 0 when want0 is set) and that b equals orig outside the
// addresses, ports and checksums.
func checkPacket(t *testing.T, orig, b []byte, udpNoCsum bool) {
	t.Helper()
	if len(b) != len(orig) {
		t.Fatalf("length %d, want %d", len(b), len(orig))
	}
	ip := b[offIP:]
	if got, want := binary.BigEndian.Uint16(ip[10:]), ipChecksum(ip[:ipHLen]); got != want {
		t.Errorf("IPv4 checksum %#04x, recomputed %#04x", got, want)
	}
	proto := lb.Protocol(ip[9])
	off := offL4 + l4CsumOff(proto)
	got := binary.BigEndian.Uint16(b[off:])
	if udpNoCsum {
		if got != 0 {
			t.Errorf("UDP checksum %#04x, want 0 (none)", got)
		}
	} else if want := l4Checksum(b); got != want {
		t.Errorf("%v checksum %#04x, recomputed %#04x", proto, got, want)
	}
	changeable := map[int]bool{offIP + 10: true, offIP + 11: true, off: true, off + 1: true}
	for i := offIP + 12; i < offL4+4; i++ {
		if i < offIP+20 || i >= offL4 {
			changeable[i] = true
		}
	}
	for i := range b {
		if !changeable[i] && b[i] != orig[i] {
			t.Errorf("byte %d changed: %#02x -> %#02x", i, orig[i], b[i])
		}
	}
}

func TestPacketBuilderChecksums(t *testing.T) {
	// A packet with valid checksums sums to 0xffff over the IPv4 header, and over the L4
	// segment plus pseudo-header, checksum fields included (RFC 1071).
	b := packet(netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.2:53"), lb.UDP, false)
	if s := fold(sum16(b[offIP:offL4], 0)); s != 0xffff {
		t.Errorf("IPv4 header does not sum to 0xffff: %#04x", s)
	}
	ip := b[offIP:]
	s := sum16(ip[12:20], uint32(ip[9])+uint32(len(b)-offL4))
	if got := fold(sum16(b[offL4:], s)); got != 0xffff {
		t.Errorf("UDP segment with pseudo-header does not sum to 0xffff: %#04x", got)
	}
}
