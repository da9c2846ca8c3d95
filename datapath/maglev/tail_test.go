package maglev

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// randBackends returns n random TCP or UDP backends in 10.0.0.0/8. With dup set, the
// addresses come from a space of 16 so that equal backends are likely.
func randBackends(r *rand.Rand, n int, dup bool) []Backend {
	bs := make([]Backend, n)
	for i := range bs {
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		port, proto := uint16(1+r.IntN(65535)), uint8(6)
		if dup {
			a, port = netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(4))}), uint16(80+r.IntN(4))
		}
		if r.IntN(2) == 0 {
			proto = 17
		}
		bs[i] = Backend{Addr: netip.AddrPortFrom(a, port), Protocol: proto}
	}
	return bs
}

// checkFill fills a table of g's size for bs (over a table of stale values) and fails
// unless it equals refFill's.
func checkFill(t *testing.T, g *Builder, bs []Backend, what string) {
	t.Helper()
	m := g.Size()
	got, want := make([]uint32, m), make([]uint32, m)
	for i := range got {
		got[i] = 0xdead // stale contents must all be overwritten
	}
	if err := g.Fill(got, bs); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	refFill(m, want, bs)
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("%s: slot %d = %d, reference %d", what, i, got[i], want[i])
	}
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []uint32) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestFillTailMatchesReference compares Fill with refFill for random backend sets at
// sizes and backend counts that exercise every tail method and switch point, reusing one
// Builder per size (so stale buffers from a larger N are exercised too).
func TestFillTailMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	plans := map[bool]int{} // fillRanked or fillTail: how many cases use each
	defer func() {
		if plans[true] == 0 || plans[false] == 0 {
			t.Errorf("tail methods exercised: %v, want both", plans)
		}
	}()
	for _, tc := range []struct {
		m      uint32
		trials int
	}{{251, 20}, {1021, 10}, {4099, 3}, {16381, 3}, {65521, 1}} {
		g, err := New(tc.m)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1000, 2, 3, 4, 5, 10, 30, 100, 1000, int(tc.m) - 1, int(tc.m)} {
			if n > int(tc.m) {
				continue
			}
			_, ranked := tailPlan(tc.m, n)
			plans[ranked]++
			trials := tc.trials
			if n > 1000 && tc.m > 1021 {
				trials = 1
			}
			for trial := range trials {
				checkFill(t, g, randBackends(r, n, false), fmt.Sprintf("M=%d/N=%d/trial %d", tc.m, n, trial))
			}
		}
	}
}

// TestFillEveryN compares Fill with refFill for every backend count at small sizes.
func TestFillEveryN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for _, m := range []uint32{MinSize, 5, 7, 11, 13, 61, 127, 251} {
		g, err := New(m)
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= int(m); n++ {
			checkFill(t, g, randBackends(r, n, false), fmt.Sprintf("M=%d/N=%d", m, n))
		}
	}
}

// TestFillNoAllocs checks that a warm Builder fills without allocating, for each tail
// method.
func TestFillNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	g, err := New(16381)
	if err != nil {
		t.Fatal(err)
	}
	tab := make([]uint32, 16381)
	for _, n := range []int{3, 100, 1000} {
		bs := randBackends(r, n, false)
		if err := g.Fill(tab, bs); err != nil { // warm-up
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(5, func() { _ = g.Fill(tab, bs) }); a != 0 {
			t.Errorf("N=%d: %.1f allocations per Fill, want 0", n, a)
		}
	}
}

// TestFastMod checks the direct remainder (fastMod and the precomputed products the
// tail uses) against the % operator at every valid size's edges and random values.
func TestFastMod(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for m := uint32(MinSize); m <= MaxSize; m += 2 {
		if m > 2000 && m < MaxSize-2000 && m%64 != 1 { // all small and large sizes, a sample between
			continue
		}
		if ValidateSize(m) != nil {
			continue
		}
		c := fastModC(m)
		top := uint64(2*m) * uint64(m) // the largest numerator the tail forms, exclusive
		for _, n := range []uint64{0, 1, uint64(m) - 1, uint64(m), uint64(m) + 1, top - 1, top - uint64(m), r.Uint64N(top), r.Uint64N(top)} {
			if got, want := fastMod(c*n, m), uint32(n%uint64(m)); got != want {
				t.Fatalf("M=%d: fastMod of %d = %d, want %d", m, n, got, want)
			}
		}
		// The products of the tail: c*((e+M-next)*inv) formed as e*ci + base.
		s := uint32(1 + r.IntN(int(m-1)))
		inv := inverse(s, m)
		if uint64(s)*uint64(inv)%uint64(m) != 1 {
			t.Fatalf("M=%d: inverse(%d) = %d", m, s, inv)
		}
		next := uint32(r.IntN(int(m)))
		ci := c * uint64(inv)
		base := uint64(m-next) * ci
		for _, e := range []uint32{0, 1, next, m - 1, uint32(r.IntN(int(m)))} {
			want := uint32(uint64(e+m-next) * uint64(inv) % uint64(m))
			if got := fastMod(uint64(e)*ci+base, m); got != want {
				t.Fatalf("M=%d: rank of %d from %d = %d, want %d", m, e, next, got, want)
			}
		}
	}
}

// FuzzFill compares Fill with refFill at small sizes for fuzzed seeds and backend
// counts, sometimes with equal backends.
func FuzzFill(f *testing.F) {
	sizes := []uint32{MinSize, 5, 7, 11, 13, 31, 61, 127, 251, 509, 1021}
	f.Add(uint64(1), uint16(3), uint8(8), false)
	f.Add(uint64(2), uint16(100), uint8(10), false)
	f.Add(uint64(3), uint16(2), uint8(9), true)
	f.Add(uint64(4), uint16(250), uint8(8), false)
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, mi uint8, dup bool) {
		m := sizes[int(mi)%len(sizes)]
		nn := 1 + int(n)%int(m)
		g, err := New(m)
		if err != nil {
			t.Fatal(err)
		}
		bs := randBackends(rand.New(rand.NewPCG(seed, uint64(nn))), nn, dup)
		checkFill(t, g, bs, fmt.Sprintf("M=%d/N=%d/seed %d", m, nn, seed))
	})
}

// BenchmarkFill times one table with a warm Builder, cycling over 4 random backend sets.
func BenchmarkFill(b *testing.B) {
	for _, tc := range []struct{ m, n int }{{1021, 3}, {16381, 3}, {16381, 10}, {16381, 100}, {65521, 3}} {
		b.Run(fmt.Sprintf("M=%d/N=%d", tc.m, tc.n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(uint64(tc.m), uint64(tc.n)))
			sets := make([][]Backend, 4)
			for i := range sets {
				sets[i] = randBackends(r, tc.n, false)
			}
			g, err := New(uint32(tc.m))
			if err != nil {
				b.Fatal(err)
			}
			tab := make([]uint32, tc.m)
			for _, bs := range sets {
				if err := g.Fill(tab, bs); err != nil {
					b.Fatal(err)
				}
			}
			i, c0 := 0, cpuTime()
			for b.Loop() {
				_ = g.Fill(tab, sets[i%len(sets)])
				i++
			}
			b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(i), "cpu-ns/op")
			_ = slices.Max(tab)
		})
	}
}
