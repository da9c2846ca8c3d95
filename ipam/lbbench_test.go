package ipam

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// lbBenchServices makes n LoadBalancer Services with distinct names.
func lbBenchServices(n int) []*corev1.Service {
	svcs := make([]*corev1.Service, n)
	for i := range svcs {
		svcs[i] = lbTestSvc(fmt.Sprint("ns", i%100), fmt.Sprint("svc", i))
	}
	return svcs
}

// lbCPUTime is the process's user plus system CPU time, all threads (GC included).
func lbCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLBAssign100kServices10Pools allocates 100,000 Services across 10 pools of
// 16,384 addresses each (/18, first and last reserved); each op is the whole run. It also
// reports the CPU time per op (cpu-ms/op), which a loaded machine inflates less than
// wall time.
func BenchmarkLBAssign100kServices10Pools(b *testing.B) {
	svcs := lbBenchServices(100_000)
	b.ResetTimer()
	cpu0 := lbCPUTime()
	defer func() { b.ReportMetric(float64((lbCPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op") }()
	for b.Loop() {
		a := NewLBAllocator()
		for i := range 10 {
			_ = a.SetPool(lbNoFirstLast(lbTestPool(b, fmt.Sprint("pool", i), i, fmt.Sprintf("10.%d.0.0/18", i))))
		}
		for _, s := range svcs {
			if res := a.Assign(s); !res.Satisfied {
				b.Fatalf("%s/%s: %v", s.Namespace, s.Name, res.Err)
			}
		}
	}
}

// TestLB100kServicesDistinct checks the workload of BenchmarkLBAssign100kServices10Pools
// for correctness (its speed is measured by the benchmark, not asserted here): 100,000
// Services across 10 pools each get a distinct address, and pools fill in priority order.
func TestLB100kServicesDistinct(t *testing.T) {
	n := 100_000
	if lbRaceEnabled {
		n = 20_000 // the race detector makes the full set slow; the rules are the same
	}
	svcs := lbBenchServices(n)
	a := NewLBAllocator()
	for i := range 10 {
		_ = a.SetPool(lbNoFirstLast(lbTestPool(t, fmt.Sprint("pool", i), i, fmt.Sprintf("10.%d.0.0/18", i))))
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
// of the comparisons the set makes.
func lbFragmentedFreeSet(bits int) (*lbFreeSet, []netip.Addr, *int) {
	p := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 32-bits)
	cmps := new(int)
	s := newLBFreeSetLess(lbInterval{p.Addr(), lbLastAddr(p)}, func(a, b lbInterval) bool {
		*cmps++
		return lbLessInterval(a, b)
	})
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

// BenchmarkLBAllocFragmented measures one release of a random held address plus one
// allocation of the lowest free address, in pools of 2^8..2^20 addresses kept half full at
// random. It also reports the B-tree comparisons per operation (cmp/op), which does not
// depend on machine load.
func BenchmarkLBAllocFragmented(b *testing.B) {
	for _, bits := range []int{8, 12, 16, 20} {
		b.Run(fmt.Sprintf("pool=2^%d", bits), func(b *testing.B) {
			s, held, cmps := lbFragmentedFreeSet(bits)
			rng := rand.New(rand.NewPCG(2, uint64(bits)))
			*cmps = 0
			b.ResetTimer()
			for b.Loop() {
				i := rng.IntN(len(held))
				s.put(held[i])
				ip, ok := s.takeLowest()
				if !ok {
					b.Fatal("full")
				}
				held[i] = ip
			}
			b.ReportMetric(float64(*cmps)/float64(b.N), "cmp/op")
		})
	}
}

// TestLBAllocCostLogarithmic counts comparisons, which unlike time does not depend on
// the machine: per release+allocation in a randomly half-full pool of n addresses, it must
// stay within 12 x log2(n) (a scan of the ~n/4 free intervals would need tens of
// thousands at n = 2^20).
func TestLBAllocCostLogarithmic(t *testing.T) {
	sizes := []int{8, 12, 16, 20}
	if lbRaceEnabled || testing.Short() {
		sizes = sizes[:3]
	}
	for _, bits := range sizes {
		s, held, cmps := lbFragmentedFreeSet(bits)
		rng := rand.New(rand.NewPCG(3, uint64(bits)))
		*cmps = 0
		const ops = 2000
		for range ops {
			i := rng.IntN(len(held))
			s.put(held[i])
			ip, _ := s.takeLowest()
			held[i] = ip
		}
		perOp := float64(*cmps) / ops
		t.Logf("pool 2^%d: %.1f comparisons per release+allocation", bits, perOp)
		if limit := 12 * float64(bits); perOp > limit {
			t.Errorf("pool 2^%d: %.1f comparisons per op, above %.0f (12 x log2 size)", bits, perOp, limit)
		}
	}
}

// BenchmarkLBAssignPoolSize measures Assign of one new Service through the allocator in
// pools of several sizes that are already half used.
func BenchmarkLBAssignPoolSize(b *testing.B) {
	for _, bits := range []int{8, 12, 16, 20} {
		b.Run(fmt.Sprintf("pool=2^%d", bits), func(b *testing.B) {
			a := NewLBAllocator()
			_ = a.SetPool(lbTestPool(b, "p", 0, fmt.Sprintf("10.0.0.0/%d", 32-bits)))
			half := 1 << (bits - 1)
			svcs := lbBenchServices(half)
			for _, s := range svcs {
				a.Assign(s)
			}
			// Release every other Service so that the free space is fragmented.
			for i := 0; i < half; i += 2 {
				a.Release(svcs[i].Namespace, svcs[i].Name)
			}
			probe := lbTestSvc("bench", "probe")
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
