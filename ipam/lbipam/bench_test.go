package lbipam

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/cilium/cilium/pkg/ipalloc"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
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

// bulkPools is the number of pools of the bulk benchmark, each a /18 without its first
// and last address (16,382 addresses).
const bulkPools = 10

// bulkRange returns the allocatable addresses of bulk pool i: 10.i.0.1 through 10.i.63.254.
func bulkRange(i int) (first, last netip.Addr) {
	r := ipam.RangeOf(netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/18", i)))
	return r.First().Next(), r.Last().Prev()
}

// BenchmarkAssign100kServices10Pools allocates 100,000 Services across 10 pools of
// 16,382 addresses each (/18, first and last reserved); each op is the whole run, from
// empty pools. Side by side, in one run:
//
//   - ciliumkit: the whole Assign path (request parsing, pool selection, free set,
//     holdings, sharing index, result), what the controller does per Service;
//   - ciliumkit-freeset: the free sets alone, lowest free address of the first pool with
//     room;
//   - cilium-ipalloc: the anchor, Cilium's own allocator (pkg/ipalloc, the one its LB IPAM
//     uses per pool range): one HashAllocator per pool, AllocAny of the first with room.
//
// Each also reports CPU time per op (cpu-ms/op), which a loaded machine inflates less
// than wall time.
func BenchmarkAssign100kServices10Pools(b *testing.B) {
	svcs := benchServices(100_000)
	b.Run("ciliumkit", func(b *testing.B) {
		pools := make([]*ciliumv2.CiliumLoadBalancerIPPool, bulkPools)
		for i := range pools {
			pools[i] = noFirstLast(testPool(b, fmt.Sprint("pool", i), i, fmt.Sprintf("10.%d.0.0/18", i)))
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			a := NewAllocator()
			for _, p := range pools {
				_ = a.SetPool(p)
			}
			for _, s := range svcs {
				if res := a.Assign(s); !res.Satisfied {
					b.Fatalf("%s/%s: %v", s.Namespace, s.Name, res.Err)
				}
			}
		}
	})
	b.Run("ciliumkit-freeset", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			sets := make([]*freeSet, bulkPools)
			for i := range sets {
				sets[i] = newFreeSet(between(bulkRange(i)))
			}
			for range svcs {
				ok := false
				for _, s := range sets {
					if _, ok = s.takeLowest(); ok {
						break
					}
				}
				if !ok {
					b.Fatal("pools full")
				}
			}
		}
	})
	b.Run("cilium-ipalloc", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			allocs := make([]*ipalloc.HashAllocator[*corev1.Service], bulkPools)
			for i := range allocs {
				first, last := bulkRange(i)
				var err error
				if allocs[i], err = ipalloc.NewHashAllocator[*corev1.Service](first, last, 0); err != nil {
					b.Fatal(err)
				}
			}
			for _, s := range svcs {
				err := ipalloc.ErrFull
				for _, a := range allocs {
					if _, err = a.AllocAny(s); !errors.Is(err, ipalloc.ErrFull) {
						break
					}
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// reportCPU starts counting CPU time; the returned func reports it as cpu-ms/op.
func reportCPU(b *testing.B) func() {
	cpu0 := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op") }
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
	for i := range bulkPools {
		_ = a.SetPool(noFirstLast(testPool(t, fmt.Sprint("pool", i), i, fmt.Sprintf("10.%d.0.0/18", i))))
	}
	seen := make(map[netip.Addr]bool, len(svcs))
	for _, s := range svcs {
		res := a.Assign(s)
		if !res.Satisfied || len(res.IPs) != 1 || seen[res.IPs[0]] {
			t.Fatalf("%s/%s: %v %v", s.Namespace, s.Name, res.IPs, res.Err)
		}
		first, last := bulkRange(len(seen) / 16382)
		if ip := res.IPs[0]; ip.Less(first) || last.Less(ip) {
			t.Fatalf("service %d got %s, want it in %s-%s (pools fill in priority order)", len(seen), ip, first, last)
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

// fragmentedHeld returns a random half of the 2^bits addresses from 10.0.0.0, ascending,
// and the other half (free), descending.
func fragmentedHeld(bits int) (held, free []netip.Addr) {
	p := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 32-bits)
	rng := rand.New(rand.NewPCG(1, uint64(bits)))
	for ip := p.Addr(); p.Contains(ip); ip = ip.Next() {
		if rng.IntN(2) == 0 {
			held = append(held, ip)
		} else {
			free = append(free, ip)
		}
	}
	slices.Reverse(free)
	return held, free
}

// fragmentedFreeSet returns a free set over a pool of 2^bits IPv4 addresses with a random
// half of them taken (about 2^bits/4 free intervals), the taken addresses, and a counter
// of the comparisons the set makes (nil when count is false: the set then compares with
// lessSpan directly, as newFreeSet does).
func fragmentedFreeSet(bits int, count bool) (*freeSet, []netip.Addr, *int) {
	p := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 32-bits)
	var cmps *int
	s := newFreeSet(ipam.RangeOf(p))
	if count {
		cmps = new(int)
		s = newFreeSetLess(ipam.RangeOf(p), func(a, b *span) bool {
			*cmps++
			return lessSpan(a, b)
		})
	}
	held, _ := fragmentedHeld(bits)
	for _, ip := range held {
		s.take(ip)
	}
	return s, held, cmps
}

// fragmentedIPAlloc is fragmentedFreeSet for Cilium's pkg/ipalloc: filled by AllocAny, then
// the free half given back highest first (the order in which its Free walks least).
func fragmentedIPAlloc(b *testing.B, bits int) (*ipalloc.HashAllocator[bool], []netip.Addr) {
	p := netip.PrefixFrom(netip.MustParseAddr("10.0.0.0"), 32-bits)
	r := ipam.RangeOf(p)
	a, err := ipalloc.NewHashAllocator[bool](r.First(), r.Last(), 1<<bits)
	if err != nil {
		b.Fatal(err)
	}
	for range 1 << bits {
		if _, err := a.AllocAny(true); err != nil {
			b.Fatal(err)
		}
	}
	held, free := fragmentedHeld(bits)
	for _, ip := range free {
		if err := a.Free(ip); err != nil {
			b.Fatal(err)
		}
	}
	return a, held
}

// releaseAndAllocate is one operation of TestAllocCostLogarithmic and of
// BenchmarkAllocFragmented's ciliumkit side, made of two pairs that each leave the free
// set as it was, so that the fragmentation stays that of a random half-full pool however
// many times it runs: take the lowest free address and give it back, then give back a
// random held address and take that address again. It reports false when the set was
// full or a step failed.
func releaseAndAllocate(s *freeSet, held []netip.Addr, rng *rand.Rand) bool {
	ip, ok := s.takeLowest()
	if !ok || !s.put(ip) {
		return false
	}
	h := held[rng.IntN(len(held))]
	return s.put(h) && s.take(h)
}

// BenchmarkAllocFragmented measures allocation in pools of 2^8, 2^12 and 2^14 addresses
// of which a random half is held (about a quarter as many free intervals as addresses).
// One op is the same four steps on each side, chosen to leave the pool exactly as it was
// so that the fragmentation is constant whatever b.N is: allocate one address of the
// allocator's choice and free it, then free one random held address and allocate that
// address again. Side by side in one run: ciliumkit (the free set every pool range
// uses) and the anchor cilium-ipalloc (Cilium's pkg/ipalloc HashAllocator, whose Free and
// specific Alloc walk its list of free blocks). The ciliumkit side also reports B-tree
// comparisons per op (cmp/op), which does not depend on machine load, counted over 1,000
// untimed ops on a second set that counts them.
func BenchmarkAllocFragmented(b *testing.B) {
	for _, bits := range []int{8, 12, 14} {
		b.Run(fmt.Sprintf("pool=2^%d", bits), func(b *testing.B) {
			b.Run("ciliumkit", func(b *testing.B) {
				s, held, _ := fragmentedFreeSet(bits, false)
				free0 := s.free().Int64()
				rng := rand.New(rand.NewPCG(2, uint64(bits)))
				for b.Loop() {
					if !releaseAndAllocate(s, held, rng) {
						b.Fatal("step failed")
					}
				}
				if got := s.free().Int64(); got != free0 {
					b.Fatalf("free addresses %d after the loop, %d before", got, free0)
				}
				cs, cheld, cmps := fragmentedFreeSet(bits, true)
				crng := rand.New(rand.NewPCG(2, uint64(bits)))
				*cmps = 0
				const counted = 1000
				for range counted {
					releaseAndAllocate(cs, cheld, crng)
				}
				b.ReportMetric(float64(*cmps)/counted, "cmp/op")
			})
			b.Run("cilium-ipalloc", func(b *testing.B) {
				a, held := fragmentedIPAlloc(b, bits)
				_, avail0 := a.Stats()
				rng := rand.New(rand.NewPCG(2, uint64(bits)))
				for b.Loop() {
					ip, err := a.AllocAny(true)
					if err != nil {
						b.Fatal(err)
					}
					if err := a.Free(ip); err != nil {
						b.Fatal(err)
					}
					h := held[rng.IntN(len(held))]
					if err := a.Free(h); err != nil {
						b.Fatal(err)
					}
					if err := a.Alloc(h, true); err != nil {
						b.Fatal(err)
					}
				}
				if _, avail := a.Stats(); avail.Cmp(avail0) != 0 {
					b.Fatalf("available %v after the loop, %v before", avail, avail0)
				}
			})
		})
	}
}

// TestAllocCostLogarithmic counts comparisons, which unlike time does not depend on
// the machine: per op of releaseAndAllocate in a randomly half-full pool of n addresses,
// it must stay within 24 x log2(n) (a scan of the ~n/4 free intervals would need tens of
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
			if !releaseAndAllocate(s, held, rng) {
				t.Fatalf("pool 2^%d: step failed", bits)
			}
		}
		perOp := float64(*cmps) / ops
		t.Logf("pool 2^%d: %.1f comparisons per op", bits, perOp)
		if limit := 24 * float64(bits); perOp > limit {
			t.Errorf("pool 2^%d: %.1f comparisons per op, above %.0f (24 x log2 size)", bits, perOp, limit)
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
