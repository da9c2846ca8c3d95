package ipam_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"go4.org/netipx"

	"github.com/ciliumkit/ciliumkit/ipam"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestCIDRAllocatorAllocate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reserved []string
		pools    []string
		bits     []int
		want     []string // "" = ErrPoolExhausted expected
	}{
		{"first block of the pool", nil, []string{"10.240.0.0/12"}, []int{16, 16}, []string{"10.240.0.0/16", "10.241.0.0/16"}},
		{"skips a pinned range inside the pool", []string{"10.240.0.0/16"}, []string{"10.240.0.0/12"}, []int{16}, []string{"10.241.0.0/16"}},
		{"skips a partial overlap and aligns up", []string{"10.240.3.0/24"}, []string{"10.240.0.0/12"}, []int{16, 24}, []string{"10.241.0.0/16", "10.240.0.0/24"}},
		{"smaller request fills a hole before a bigger block", nil, []string{"10.0.0.0/8"}, []int{24, 16, 24}, []string{"10.0.0.0/24", "10.1.0.0/16", "10.0.1.0/24"}},
		{"next pool when the first is full", []string{"10.0.0.0/16"}, []string{"10.0.0.0/16", "172.16.0.0/12"}, []int{20}, []string{"172.16.0.0/20"}},
		{"reserved range covering the pool", []string{"10.0.0.0/8"}, []string{"10.1.0.0/16"}, []int{24}, []string{""}},
		{"pool smaller than request", nil, []string{"10.0.0.0/24"}, []int{16}, []string{""}},
		{"exhausts then fails", nil, []string{"10.0.0.0/23"}, []int{24, 24, 24}, []string{"10.0.0.0/24", "10.0.1.0/24", ""}},
		{"ipv6 pool", []string{"fd00::/104"}, []string{"fd00::/96"}, []int{104, 112}, []string{"fd00::100:0/104", "fd00::200:0/112"}},
		{"family is chosen by the pools passed", nil, []string{"10.0.0.0/8", "fd00::/64"}, []int{104}, []string{"fd00::/104"}},
		{"end of the address space", []string{"255.255.255.0/25"}, []string{"255.255.255.0/24"}, []int{25, 25}, []string{"255.255.255.128/25", ""}},
		{"whole ipv6 space", nil, []string{"::/0"}, []int{0, 0}, []string{"::/0", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := ipam.NewCIDRAllocator(prefixes(tc.reserved...))
			for i, bits := range tc.bits {
				got, err := a.Allocate(prefixes(tc.pools...), bits)
				if tc.want[i] == "" {
					if !errors.Is(err, ipam.ErrPoolExhausted) {
						t.Fatalf("request %d (/%d): got %v, %v; want ErrPoolExhausted", i, bits, got, err)
					}
					continue
				}
				if err != nil || got != netip.MustParsePrefix(tc.want[i]) {
					t.Fatalf("request %d (/%d): got %v, %v; want %s", i, bits, got, err, tc.want[i])
				}
			}
		})
	}
}

// TestCIDRAllocatorFamiliesStayApart reserves ranges at the top of the IPv4 space and the
// bottom of the IPv6 space, which are neighbours in netip's order but not adjacent.
func TestCIDRAllocatorFamiliesStayApart(t *testing.T) {
	a := ipam.NewCIDRAllocator(prefixes("255.255.255.0/24"))
	a.Reserve(netip.MustParsePrefix("::/120"))
	a.Reserve(netip.MustParsePrefix("255.255.254.0/24"))
	for p, free := range map[string]bool{
		"255.255.255.128/25": false, "255.255.254.0/23": false, "255.255.253.0/24": true,
		"::/128": false, "::100/120": true, "::ffff:255.255.255.0/120": true,
	} {
		if got := a.Free(netip.MustParsePrefix(p)); got != free {
			t.Errorf("Free(%s) = %v, want %v", p, got, free)
		}
	}
	got, err := a.Allocate(prefixes("::/112"), 120)
	if err != nil || got != netip.MustParsePrefix("::100/120") {
		t.Errorf("Allocate(::/112, /120) = %v, %v; want ::100/120", got, err)
	}
	got, err = a.Allocate(prefixes("255.255.252.0/22"), 24)
	if err != nil || got != netip.MustParsePrefix("255.255.252.0/24") {
		t.Errorf("Allocate(255.255.252.0/22, /24) = %v, %v; want 255.255.252.0/24", got, err)
	}
}

func TestCIDRAllocatorInvalidLength(t *testing.T) {
	a := ipam.NewCIDRAllocator(nil)
	for _, bits := range []int{-1, 129} {
		if _, err := a.Allocate(prefixes("10.0.0.0/8"), bits); !errors.Is(err, ipam.ErrInvalidPrefixLength) {
			t.Errorf("Allocate(/%d) = %v, want ErrInvalidPrefixLength", bits, err)
		}
	}
}

func TestCIDRAllocatorReserveMerges(t *testing.T) {
	a := ipam.NewCIDRAllocator(prefixes("10.0.0.0/24", "10.0.0.0/25", "10.0.2.0/24"))
	a.Reserve(netip.MustParsePrefix("10.0.1.0/24"))
	for _, p := range []string{"10.0.0.0/24", "10.0.1.128/25", "10.0.2.0/23", "10.0.0.0/22"} {
		if a.Free(netip.MustParsePrefix(p)) {
			t.Errorf("Free(%s) = true, want false", p)
		}
	}
	for _, p := range []string{"10.0.3.0/24", "9.255.255.255/32", "10.0.4.0/22"} {
		if !a.Free(netip.MustParsePrefix(p)) {
			t.Errorf("Free(%s) = false, want true", p)
		}
	}
	got, err := a.Allocate(prefixes("10.0.0.0/16"), 23)
	if err != nil || got != netip.MustParsePrefix("10.0.4.0/23") {
		t.Errorf("Allocate(/23) = %v, %v; want 10.0.4.0/23", got, err)
	}
}

// TestCIDRAllocatorMatchesBruteForce checks the cursor-based search against a direct scan
// of every aligned block, on random reservations and request sequences.
func TestCIDRAllocatorMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pool := netip.MustParsePrefix("10.0.0.0/16")
	for round := range 200 {
		var reserved []netip.Prefix
		for range rng.IntN(8) {
			bits := 18 + rng.IntN(10)
			addr := netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(256)), byte(rng.IntN(256))})
			reserved = append(reserved, netip.PrefixFrom(addr, bits).Masked())
		}
		checkAgainstBruteForce(t, round, pool, reserved, func() int { return 18 + rng.IntN(8) })
	}
}

// TestCIDRAllocatorMatchesBruteForceIPv6 does the same in IPv6, with block lengths on
// both sides of the 64-bit boundary.
func TestCIDRAllocatorMatchesBruteForceIPv6(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pool := netip.MustParsePrefix("fd00:0:0:ff00::/56")
	for round := range 100 {
		var reserved []netip.Prefix
		for range rng.IntN(8) {
			a := pool.Addr().As16()
			a[7], a[8], a[9] = byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))
			reserved = append(reserved, netip.PrefixFrom(netip.AddrFrom16(a), 58+rng.IntN(14)).Masked())
		}
		checkAgainstBruteForce(t, round, pool, reserved, func() int { return 58 + rng.IntN(10) })
	}
}

func bruteFirstFree(pool netip.Prefix, bits int, taken []netip.Prefix) (netip.Prefix, bool) {
	for a := pool.Addr(); a.IsValid() && pool.Contains(a); a = netipx.PrefixLastIP(netip.PrefixFrom(a, bits)).Next() {
		p := netip.PrefixFrom(a, bits)
		if !slices.ContainsFunc(taken, p.Overlaps) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func TestCIDROverlaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want [][2]int
	}{
		{"disjoint", []string{"10.13.0.0/16", "10.14.0.0/16", "10.245.0.0/16"}, nil},
		{"nested", []string{"10.0.0.0/8", "10.14.0.0/16", "192.168.0.0/16", "10.14.1.0/24"}, [][2]int{{0, 1}, {0, 3}, {1, 3}}},
		{"identical", []string{"fd00::/104", "fd00::/104"}, [][2]int{{0, 1}}},
		{"families never overlap", []string{"0.0.0.0/0", "::/0"}, nil},
		{"adjacent is not overlap", []string{"10.0.0.0/24", "10.0.1.0/24"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ipam.CIDROverlaps(prefixes(tc.in...)); !slices.Equal(got, tc.want) {
				t.Errorf("CIDROverlaps(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	// Against brute force on random prefixes.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100 {
		var ps []netip.Prefix
		for range rng.IntN(30) {
			addr := netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(rng.IntN(256)), 0})
			ps = append(ps, netip.PrefixFrom(addr, 12+rng.IntN(13)).Masked())
		}
		var want [][2]int
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				if ps[i].Overlaps(ps[j]) {
					want = append(want, [2]int{i, j})
				}
			}
		}
		if got := ipam.CIDROverlaps(ps); !slices.Equal(got, want) {
			t.Fatalf("CIDROverlaps(%v) = %v, want %v", ps, got, want)
		}
	}
}

func TestValidateCIDR(t *testing.T) {
	for in, ok := range map[string]bool{"10.0.0.0/8": true, "10.0.0.1/8": false, "fd00::/104": true, "::ffff:10.0.0.0/104": false} {
		if err := ipam.ValidateCIDR(netip.MustParsePrefix(in)); (err == nil) != ok || (err != nil && !errors.Is(err, ipam.ErrInvalidCIDR)) {
			t.Errorf("ValidateCIDR(%s) = %v, want ok=%v", in, err, ok)
		}
	}
	if err := ipam.ValidateCIDR(netip.Prefix{}); !errors.Is(err, ipam.ErrInvalidCIDR) {
		t.Errorf("ValidateCIDR(zero) = %v, want ErrInvalidCIDR", err)
	}
}

// checkAgainstBruteForce makes 20 requests of lengths from nextBits on an allocator over
// reserved and checks each against a brute-force search of pool.
func checkAgainstBruteForce(t *testing.T, round int, pool netip.Prefix, reserved []netip.Prefix, nextBits func() int) {
	t.Helper()
	a := ipam.NewCIDRAllocator(reserved)
	taken := slices.Clone(reserved)
	for req := range 20 {
		bits := nextBits()
		got, err := a.Allocate([]netip.Prefix{pool}, bits)
		want, ok := bruteFirstFree(pool, bits, taken)
		if !ok {
			if !errors.Is(err, ipam.ErrPoolExhausted) {
				t.Fatalf("round %d request %d /%d: got %v, %v; want exhausted", round, req, bits, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Fatalf("round %d request %d /%d: got %v, %v; want %v (reserved %v)", round, req, bits, got, err, want, reserved)
		}
		taken = append(taken, got)
	}
}
