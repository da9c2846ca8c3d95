package lbipam

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// benchServices makes n LoadBalancer Services with distinct names.
func benchServices(n int) []*corev1.Service {
	svcs := make([]*corev1.Service, n)
	for i := range svcs {
		svcs[i] = testSvc(fmt.Sprint("ns", i%100), fmt.Sprint("svc", i))
	}
	return svcs
}

// BenchmarkAssign100kServices10Pools allocates 100,000 Services across 10 pools of
// 16,384 addresses each (/18, first and last reserved); each op is the whole run. It also
// reports the CPU time per op (cpu-ms/op), which a loaded machine inflates less than
// wall time.
func BenchmarkAssign100kServices10Pools(b *testing.B) {
	svcs := benchServices(100_000)
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op") }()
	for b.Loop() {
		a := NewAllocator()
		for i := range 10 {
			_ = a.SetPool(noFirstLast(testPool(b, fmt.Sprint("pool", i), i, fmt.Sprintf("10.%d.0.0/18", i))))
		}
		for _, s := range svcs {
			if res := a.Assign(s); !res.Satisfied {
				b.Fatalf("%s/%s: %v", s.Namespace, s.Name, res.Err)
			}
		}
	}
}

// Test100kServicesDistinct checks the workload of BenchmarkAssign100kServices10Pools
// for correctness (its speed is measured by the benchmark, not asserted here): 100,000
// Services across 10 pools each get a distinct address, and pools fill in priority order.
func Test100kServicesDistinct(t *testing.T) {
	n := 100_000
	if raceEnabled {
		n = 20_000 // the race detector makes the full set slow; the rules are the same
	}
	svcs := benchServices(n)
	a := NewAllocator()
	for i := range 10 {
		_ = a.SetPool(noFirstLast(testPool(t, fmt.Sprint("pool", i), i, fmt.Sprintf("10.%d.0.0/18", i))))
	}
	seen := make(map[netip.Addr]bool, len(svcs))
	for _, s := range svcs {
		res := a.Assign(s)
		if !res.Satisfied || len(res.IPs) != 1 || seen[res.IPs[0]] {
			t.Fatalf("%s/%s: %v %v", s.Namespace, s.Name, res.IPs, res.Err)
		}
		seen[res.IPs[0]] = true
	}
	// Pools fill in priority order: pool0 first, and the next one only when it is full.
	st0, _ := a.PoolStatus("pool0")
	st1, _ := a.PoolStatus("pool1")
	if st0.Available.Sign() != 0 || st0.Used.Int64() != 16382 || st1.Used.Int64() != min(int64(n)-16382, 16382) {
		t.Errorf("pool0: used %v available %v; pool1: used %v", st0.Used, st0.Available, st1.Used)
	}
}

// fragmentedFreeSet returns a free set over a pool of 2^bits IPv4 addresses with a random
// half of them taken (about 2^bits/4 free intervals), the taken addresses, and a counter
// of the comparisons the set makes (nil when count is false: the set then compares with
// ipam.Range.StartsBefore directly, as newFreeSet does).
func fragmentedFreeSet(bits int, count bool) (*freeSet, []netip.Addr, *int) {
	p := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 32-bits)
	var cmps *int
	s := newFreeSet(ipam.RangeOf(p))
	if count {
		cmps = new(int)
		s = newFreeSetLess(ipam.RangeOf(p), func(a, b ipam.Range) bool {
			*cmps++
			return a.StartsBefore(b)
		})
	}
	rng := rand.New(rand.NewPCG(1, uint64(bits)))
	var held []netip.Addr
	for ip := p.Addr(); p.Contains(ip); ip = ip.Next() {
		if rng.IntN(2) == 0 {
			s.take(ip)
			held = append(held, ip)
		}
	}
	return s, held, cmps
}

// releaseAndAllocate is one operation of BenchmarkAllocFragmented: release a random held
// address, then allocate the lowest free one.
func releaseAndAllocate(s *freeSet, held []netip.Addr, rng *rand.Rand) bool {
	i := rng.IntN(len(held))
	s.put(held[i])
	ip, ok := s.takeLowest()
	held[i] = ip
	return ok
}

// BenchmarkAllocFragmented measures one release of a random held address plus one
// allocation of the lowest free address, in pools of 2^8..2^20 addresses kept half full at
// random. It also reports the B-tree comparisons per operation (cmp/op), which does not
// depend on machine load: after the timed loop it replays the same operations, untimed,
// on a set that counts its comparisons (counting inside the timed set would slow every
// comparison down).
func BenchmarkAllocFragmented(b *testing.B) {
	for _, bits := range []int{8, 12, 16, 20} {
		b.Run(fmt.Sprintf("pool=2^%d", bits), func(b *testing.B) {
			s, held, _ := fragmentedFreeSet(bits, false)
			rng := rand.New(rand.NewPCG(2, uint64(bits)))
			b.ResetTimer()
			for b.Loop() {
				if !releaseAndAllocate(s, held, rng) {
					b.Fatal("full")
				}
			}
			cs, cheld, cmps := fragmentedFreeSet(bits, true)
			crng := rand.New(rand.NewPCG(2, uint64(bits)))
			*cmps = 0
			for range b.N {
				releaseAndAllocate(cs, cheld, crng)
			}
			b.ReportMetric(float64(*cmps)/float64(b.N), "cmp/op")
		})
	}
}

// TestAllocCostLogarithmic counts comparisons, which unlike time does not depend on
// the machine: per release+allocation in a randomly half-full pool of n addresses, it must
// stay within 12 x log2(n) (a scan of the ~n/4 free intervals would need tens of
// thousands at n = 2^20).
func TestAllocCostLogarithmic(t *testing.T) {
	sizes := []int{8, 12, 16, 20}
	if raceEnabled || testing.Short() {
		sizes = sizes[:3]
	}
	for _, bits := range sizes {
		s, held, cmps := fragmentedFreeSet(bits, true)
		rng := rand.New(rand.NewPCG(3, uint64(bits)))
		*cmps = 0
		const ops = 2000
		for range ops {
			releaseAndAllocate(s, held, rng)
		}
		perOp := float64(*cmps) / ops
		t.Logf("pool 2^%d: %.1f comparisons per release+allocation", bits, perOp)
		if limit := 12 * float64(bits); perOp > limit {
			t.Errorf("pool 2^%d: %.1f comparisons per op, above %.0f (12 x log2 size)", bits, perOp, limit)
		}
	}
}

// BenchmarkAssignPoolSize measures Assign of one new Service through the allocator in
// pools of several sizes that are already half used.
func BenchmarkAssignPoolSize(b *testing.B) {
	for _, bits := range []int{8, 12, 16, 20} {
		b.Run(fmt.Sprintf("pool=2^%d", bits), func(b *testing.B) {
			a := NewAllocator()
			_ = a.SetPool(testPool(b, "p", 0, fmt.Sprintf("10.0.0.0/%d", 32-bits)))
			half := 1 << (bits - 1)
			svcs := benchServices(half)
			for _, s := range svcs {
				a.Assign(s)
			}
			// Release every other Service so that the free space is fragmented.
			for i := 0; i < half; i += 2 {
				a.Release(svcs[i].Namespace, svcs[i].Name)
			}
			probe := testSvc("bench", "probe")
			b.ResetTimer()
			for b.Loop() {
				if res := a.Assign(probe); len(res.IPs) != 1 {
					b.Fatal(res.Err)
				}
				a.Release("bench", "probe")
			}
		})
	}
}
