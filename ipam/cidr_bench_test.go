package ipam_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// BenchmarkCIDRAllocator511Clusters is the planner's workload for a dual-stack mesh of
// 511 clusters: 511 node CIDRs reserved, then per cluster one IPv4 and one IPv6 pod
// range and one service range of each family.
func BenchmarkCIDRAllocator511Clusters(b *testing.B) {
	var reserved []netip.Prefix
	for i := range 511 {
		reserved = append(reserved, netip.PrefixFrom(netip.AddrFrom4([4]byte{100, byte(64 + i>>4), byte(i << 4), 0}), 20))
	}
	pods4, pods6 := prefixes("10.0.0.0/8"), prefixes("fd00::/48")
	svc4, svc6 := prefixes("172.16.0.0/12"), prefixes("fd01::/96")
	b.ReportAllocs()
	for b.Loop() {
		a := ipam.NewCIDRAllocator(reserved)
		for range 511 {
			for _, r := range []struct {
				pools []netip.Prefix
				bits  int
			}{{pods4, 18}, {pods6, 64}, {svc4, 22}, {svc6, 112}} {
				if _, err := a.Allocate(r.pools, r.bits); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkCIDRAllocatorFragmented allocates /20 blocks around 2,000 random reserved /24s
// of 10.0.0.0/8, so that most candidate blocks collide with a reservation.
func BenchmarkCIDRAllocatorFragmented(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	var reserved []netip.Prefix
	for range 2000 {
		reserved = append(reserved, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(rng.IntN(256)), byte(rng.IntN(256)), 0}), 24))
	}
	pool := prefixes("10.0.0.0/8")
	b.ReportAllocs()
	for b.Loop() {
		a := ipam.NewCIDRAllocator(reserved)
		for range 200 {
			if _, err := a.Allocate(pool, 20); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCIDROverlaps checks 2,000 random IPv4 prefixes for overlaps.
func BenchmarkCIDROverlaps(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	var ps []netip.Prefix
	for range 2000 {
		ps = append(ps, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(rng.IntN(256)), byte(rng.IntN(256)), 0}), 16+rng.IntN(9)).Masked())
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = ipam.CIDROverlaps(ps)
	}
}
