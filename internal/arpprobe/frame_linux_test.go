//go:build linux

package arpprobe

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
)

func TestParseRequest(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	ip, target := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9")
	b := request(mac, ip, target)
	f, ok := Parse(append(b, make([]byte, 18)...)) // padded to the Ethernet minimum
	if !ok {
		t.Fatalf("Parse(%x) = false", b)
	}
	if f.Op != OpRequest || f.SHA.String() != mac.String() || f.SPA != ip || f.TPA != target ||
		!bytes.Equal(f.THA, make([]byte, 6)) {
		t.Errorf("Parse(request) = %+v", f)
	}
	b[22] ^= 0xff
	if f.SHA[0] != mac[0] {
		t.Errorf("Frame.SHA aliases the input")
	}
	for _, bad := range [][]byte{b[:FrameLen-1], append([]byte{}, b[:12]...)} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%x) = true", bad)
		}
	}
	ipv6 := request(mac, ip, target)
	ipv6[16], ipv6[17] = 0x86, 0xdd
	if _, ok := Parse(ipv6); ok {
		t.Errorf("Parse accepted protocol 0x86dd")
	}
}

func FuzzParse(f *testing.F) {
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	f.Add(request(mac, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.9")))
	f.Add([]byte{})
	f.Add(make([]byte, FrameLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, ok := Parse(b)
		if !ok {
			return
		}
		if len(b) < FrameLen || len(fr.SHA) != 6 || len(fr.THA) != 6 || !fr.SPA.Is4() || !fr.TPA.Is4() {
			t.Fatalf("Parse(%x) = %+v, true", b, fr)
		}
	})
}
