package l2

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

func TestGratuitousARP(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	ip := netip.MustParseAddr("10.10.200.1")
	b, proto := gratuitousFrame(ResponderEntry{IP: ip, MAC: mac})
	if proto != etherTypeARP || len(b) != 42 {
		t.Fatalf("EtherType %#x, %d bytes", proto, len(b))
	}
	want := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x06, // Ethernet
		0, 1, 0x08, 0, 6, 4, 0, 1, // Ethernet/IPv4 request
		0x02, 0, 0, 0, 0, 0x0a, 10, 10, 200, 1, // sender
		0, 0, 0, 0, 0, 0, 10, 10, 200, 1, // target: zero MAC, same IP
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("frame\n%x\nwant\n%x", b, want)
	}
}

func TestUnsolicitedNA(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
	ip := netip.MustParseAddr("2001:db8::1")
	b, proto := gratuitousFrame(ResponderEntry{IP: ip, MAC: mac})
	if proto != etherTypeIPv6 || len(b) != 14+40+32 {
		t.Fatalf("EtherType %#x, %d bytes", proto, len(b))
	}
	if !bytes.Equal(b[0:6], []byte{0x33, 0x33, 0, 0, 0, 1}) || !bytes.Equal(b[6:12], mac) {
		t.Errorf("Ethernet header %x", b[:14])
	}
	h, m := b[14:54], b[54:]
	src, dst := [16]byte(h[8:24]), [16]byte(h[24:40])
	if h[0]>>4 != 6 || binary.BigEndian.Uint16(h[4:]) != 32 || h[6] != 58 || h[7] != 255 ||
		netip.AddrFrom16(src) != ip || netip.AddrFrom16(dst) != netip.MustParseAddr("ff02::1") {
		t.Errorf("IPv6 header %x", h)
	}
	if m[0] != 136 || m[1] != 0 || m[4] != 0x20 || netip.AddrFrom16([16]byte(m[8:24])) != ip ||
		m[24] != 2 || m[25] != 1 || !bytes.Equal(m[26:32], mac) {
		t.Errorf("NA %x", m)
	}
	// A correct checksum sums, with the pseudo-header, to all ones.
	if c := icmpv6Checksum(src, dst, m); c != 0 {
		t.Errorf("checksum does not verify: %#x", c)
	}
	// Known value: RFC 1071's fold over an odd-length message.
	if c := icmpv6Checksum([16]byte{}, [16]byte{}, []byte{0xff}); c != ^uint16(0xff00+1+58) {
		t.Errorf("odd-length checksum %#x", c)
	}
}
