package maglev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"testing"
)

// The tables, hashes and slots below were computed by the implementation that the BPF
// programs and pinned maps of earlier releases were built against; they must never change,
// or nodes of different versions would send the same flow to different backends.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		m, n int
		want uint64 // FNV-64a of the table as little-endian uint32s
	}{{251, 3, 0xa5fb219e58efc584}, {16381, 100, 0xc871e7353b532cd8}, {65521, 1000, 0xd6959809b67a3a31}} {
		t.Run(fmt.Sprintf("M=%d/N=%d", tc.m, tc.n), func(t *testing.T) {
			b, err := New(uint32(tc.m))
			if err != nil {
				t.Fatal(err)
			}
			tab := make([]uint32, tc.m)
			if err := b.Fill(tab, backends(tc.n)); err != nil {
				t.Fatal(err)
			}
			h := fnv.New64a()
			for _, x := range tab {
				binary.Write(h, binary.LittleEndian, x)
			}
			if got := h.Sum64(); got != tc.want {
				t.Errorf("table hash %#x, want %#x", got, tc.want)
			}
		})
	}
	if got := backends(1)[0].Hash(); got != 0x11429d07f1b8865e {
		t.Errorf("Hash() = %#x", got)
	}
	client := netip.MustParseAddrPort("192.168.7.9:40000")
	for _, tc := range []struct {
		dst   string
		proto uint8
		m     uint32
		want  uint32
	}{
		{"10.96.0.10:80", 6, 16381, 13109},
		{"10.96.0.10:53", 17, 251, 104},
		{"[fd00::1]:80", 6, 251, 0},
		{"10.96.0.10:80", 6, 0, 0},
	} {
		if got := FlowSlot(client, netip.MustParseAddrPort(tc.dst), tc.proto, tc.m); got != tc.want {
			t.Errorf("FlowSlot(%v, %s, %d, %d) = %d, want %d", client, tc.dst, tc.proto, tc.m, got, tc.want)
		}
	}
	// IPv6 flows (the BPF programs' IPv6 hash; datapath's tests check the two agree).
	client6 := netip.MustParseAddrPort("[fd00:7::9]:40000")
	for _, tc := range []struct {
		dst   string
		proto uint8
		m     uint32
		want  uint32
	}{
		{"[fd00:96::10]:80", 6, 16381, 2235},
		{"[::ffff:10.96.0.10]:80", 17, 251, 187}, // IPv4-mapped counts as IPv6
		{"10.96.0.10:80", 6, 251, 0},
	} {
		if got := FlowSlot(client6, netip.MustParseAddrPort(tc.dst), tc.proto, tc.m); got != tc.want {
			t.Errorf("FlowSlot(%v, %s, %d, %d) = %d, want %d", client6, tc.dst, tc.proto, tc.m, got, tc.want)
		}
	}
}

func TestValidateSize(t *testing.T) {
	for _, m := range []uint32{MinSize, 251, 509, 1021, 2039, 4093, 8191, DefaultSize, 32749, 65521, MaxSize} {
		if err := ValidateSize(m); err != nil {
			t.Errorf("ValidateSize(%d) = %v", m, err)
		}
	}
	for _, m := range []uint32{0, 1, 2, 4, 1000, 16383, MaxSize + 2} {
		if err := ValidateSize(m); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("ValidateSize(%d) = %v, want ErrInvalidSize", m, err)
		}
	}
}

func BenchmarkFlowSlot(b *testing.B) {
	src, dst := netip.MustParseAddrPort("192.168.7.9:40000"), netip.MustParseAddrPort("10.96.0.10:80")
	var sum uint32
	for b.Loop() {
		sum += FlowSlot(src, dst, 6, DefaultSize)
	}
	_ = sum
}
