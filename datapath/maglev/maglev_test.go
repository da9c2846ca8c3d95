package maglev

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

const tcp = 6

// backends returns n distinct TCP backends 10.x.y.z:8080.
func backends(n int) []Backend {
	out := make([]Backend, n)
	for i := range out {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		out[i] = Backend{Addr: netip.AddrPortFrom(a, 8080), Protocol: tcp}
	}
	return out
}

// table builds a table and returns it as backend addresses.
func table(t testing.TB, m uint32, bs []Backend) []netip.AddrPort {
	t.Helper()
	g, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]uint32, m)
	if err := g.Fill(idx, bs); err != nil {
		t.Fatal(err)
	}
	out := make([]netip.AddrPort, m)
	for i, j := range idx {
		out[i] = bs[j].Addr
	}
	return out
}

func TestMaglevBalance(t *testing.T) {
	// Each backend owns floor(M/N) or ceil(M/N) slots: the bound is one slot.
	for _, tc := range []struct{ m, n int }{{251, 1}, {251, 2}, {251, 251}, {16381, 7}, {16381, 100}, {65521, 1000}} {
		t.Run(fmt.Sprintf("M=%d/N=%d", tc.m, tc.n), func(t *testing.T) {
			tab := table(t, uint32(tc.m), backends(tc.n))
			count := map[netip.AddrPort]int{}
			for _, a := range tab {
				count[a]++
			}
			if len(count) != tc.n {
				t.Fatalf("%d backends own slots, want %d", len(count), tc.n)
			}
			lo, hi := tc.m/tc.n, (tc.m+tc.n-1)/tc.n
			for a, c := range count {
				if c < lo || c > hi {
					t.Fatalf("backend %v owns %d slots, want %d..%d", a, c, lo, hi)
				}
			}
		})
	}
}

func TestMaglevOrderIndependent(t *testing.T) {
	bs := backends(50)
	want := table(t, 4093, bs)
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		r.Shuffle(len(bs), func(i, j int) { bs[i], bs[j] = bs[j], bs[i] })
		got := table(t, 4093, bs)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("slot %d: %v after shuffling, %v before", i, got[i], want[i])
			}
		}
	}
}

// remapFraction returns the fraction of slots that change when the middle backend of bs
// is removed, and the number of changed slots that belonged to other backends.
func remapFraction(t testing.TB, m int, bs []Backend, tab func(testing.TB, uint32, []Backend) []netip.AddrPort) (float64, int) {
	n := len(bs)
	before := tab(t, uint32(m), bs)
	removed := bs[n/2].Addr
	after := tab(t, uint32(m), append(append([]Backend(nil), bs[:n/2]...), bs[n/2+1:]...))
	changed, collateral := 0, 0
	for i := range before {
		if before[i] != after[i] {
			changed++
			if before[i] != removed {
				collateral++
			}
		}
		if after[i] == removed {
			t.Fatalf("slot %d still maps to the removed backend", i)
		}
	}
	return float64(changed) / float64(m), collateral
}

func TestMaglevRemoveOneRemapsAboutOneNth(t *testing.T) {
	// Removing one of N backends remaps the removed backend's 1/N of the slots and some
	// more: measured 1.04/N for N=10 and 2.26/N for N=100 (M=16381), 6.9/N for N=1000
	// (M=65521); Cilium's implementation measures 2.2/N and 6.6/N for the last two.
	for _, tc := range []struct {
		m, n  int
		bound float64 // in units of 1/N
	}{{16381, 10, 1.2}, {16381, 100, 3}, {65521, 1000, 8}} {
		t.Run(fmt.Sprintf("M=%d/N=%d", tc.m, tc.n), func(t *testing.T) {
			frac, collateral := remapFraction(t, tc.m, backends(tc.n), table)
			ideal := 1 / float64(tc.n)
			t.Logf("M=%d: removing 1 of %d backends remapped %.4f of slots (1/N = %.4f, ratio %.2f); %d slots of other backends moved",
				tc.m, tc.n, frac, ideal, frac/ideal, collateral)
			if frac > tc.bound*ideal {
				t.Errorf("remapped %.4f of slots, want at most %.1f/N = %.4f", frac, tc.bound, tc.bound*ideal)
			}
		})
	}
}

func TestMaglevErrors(t *testing.T) {
	for _, m := range []uint32{0, 1, 2, 4, 16383, MaxSize + 2} {
		if _, err := New(m); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("New(%d) = %v, want ErrInvalidSize", m, err)
		}
	}
	g, err := New(7)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Fill(make([]uint32, 7), nil); !errors.Is(err, ErrTooManyBackends) {
		t.Errorf("no backends: %v", err)
	}
	if err := g.Fill(make([]uint32, 7), backends(8)); !errors.Is(err, ErrTooManyBackends) {
		t.Errorf("8 backends for M=7: %v", err)
	}
	if err := g.Fill(make([]uint32, 6), backends(3)); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("short table: %v", err)
	}
}

func TestMaglevFlowsBalanced(t *testing.T) {
	// 200,000 random flows over 10 backends through FlowSlot and a table of M=16381: each
	// backend gets within 3% of its share.
	bs := backends(10)
	tab := table(t, 16381, bs)
	vip := netip.MustParseAddrPort("10.96.0.10:80")
	r := rand.New(rand.NewPCG(3, 4))
	count := map[netip.AddrPort]int{}
	const flows = 200000
	for range flows {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(r.IntN(256)), byte(r.IntN(256))}), uint16(1024+r.IntN(60000)))
		count[tab[FlowSlot(src, vip, tcp, 16381)]]++
	}
	for a, c := range count {
		if share := float64(c) / (flows / 10); share < 0.97 || share > 1.03 {
			t.Errorf("backend %v got %.3f of its share", a, share)
		}
	}
}
