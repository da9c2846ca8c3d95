package datapath

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// FuzzXDP feeds arbitrary frames to the XDP program. Whatever the input, the verdict is
// pass or drop, the length is kept, and a frame is changed only if it is an IPv4 TCP or
// UDP packet to the frontend, and then only in its destination address, destination port
// and checksums, with a valid IPv4 checksum if it had one.
func FuzzXDP(f *testing.F) {
	svc := testService(lb.TCP)
	client := netip.MustParseAddrPort(clientIP + ":40000")
	f.Add(packet(client, svc.Frontend.Addr, lb.TCP, false))
	f.Add(packet(client, svc.Frontend.Addr, lb.UDP, false))
	f.Add(packet(client, netip.MustParseAddrPort("10.96.0.11:80"), lb.TCP, false))
	opts := packet(client, svc.Frontend.Addr, lb.TCP, false)
	opts[offIP] = 0x46 // IHL 6: the L4 header moves by 4 bytes
	f.Add(opts)
	f.Add(make([]byte, 14))

	d := load(f, nil)
	if _, err := d.UpsertService(svc); err != nil {
		f.Fatal(err)
	}
	vip := svc.Frontend.Addr.Addr().As4()
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 14 {
			return // BPF_PROG_TEST_RUN wants an Ethernet header
		}
		ret, out, err := d.XDPProgram().Test(append([]byte(nil), in...))
		if err != nil {
			t.Fatal(err)
		}
		if ret != xdpPass && ret != xdpDrop {
			t.Fatalf("verdict %d", ret)
		}
		if len(out) != len(in) {
			t.Fatalf("length %d -> %d", len(in), len(out))
		}
		if bytes.Equal(in, out) {
			return
		}
		ihl := int(in[offIP]&0xf) * 4
		l4 := offIP + ihl
		if binary.BigEndian.Uint16(in[12:]) != 0x0800 || ihl < 20 || len(in) < l4+8 ||
			!bytes.Equal(in[offIP+16:offIP+20], vip[:]) || binary.BigEndian.Uint16(in[l4+2:]) != 80 ||
			in[offIP+9] != uint8(lb.TCP) {
			t.Fatalf("changed a packet that is not for the frontend: %x", in)
		}
		csum := l4 + 16
		for i := range in {
			switch {
			case i >= offIP+16 && i < offIP+20, i == l4+2, i == l4+3, i == offIP+10, i == offIP+11, i == csum, i == csum+1:
			default:
				if in[i] != out[i] {
					t.Fatalf("byte %d changed: %x -> %x", i, in, out)
				}
			}
		}
		if fold(sum16(in[offIP:l4], 0)) == 0xffff && fold(sum16(out[offIP:l4], 0)) != 0xffff {
			t.Fatalf("valid IPv4 checksum became invalid: %x -> %x", in, out)
		}
	})
}
