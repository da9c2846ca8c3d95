package maglev

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// refFill is the plain Maglev fill (probe each backend's permutation for its next empty
// slot, one backend at a time, until the table is full), kept as the reference the
// Builder's faster fill must match exactly.
func refFill(m uint32, table []uint32, bs []Backend) {
	type rp struct {
		k          [2]uint64
		next, skip uint32
		idx        uint32
	}
	ps := make([]rp, len(bs))
	for i := range bs {
		h1, h2 := bs[i].hash(seedOffset), bs[i].hash(seedSkip)
		ps[i] = rp{k: [2]uint64{h1, h2}, next: uint32(h1 % uint64(m)), skip: uint32(h2%uint64(m-1)) + 1, idx: uint32(i)}
	}
	slices.SortFunc(ps, func(a, b rp) int {
		if a.k[0] != b.k[0] {
			if a.k[0] < b.k[0] {
				return -1
			}
			return 1
		}
		if a.k[1] < b.k[1] {
			return -1
		} else if a.k[1] > b.k[1] {
			return 1
		}
		return 0
	})
	for i := range table {
		table[i] = ^uint32(0)
	}
	for filled := uint32(0); ; {
		for i := range ps {
			p := &ps[i]
			for table[p.next] != ^uint32(0) {
				p.next = (p.next + p.skip) % m
			}
			table[p.next] = p.idx
			p.next = (p.next + p.skip) % m
			if filled++; filled == m {
				return
			}
		}
	}
}

func TestFillMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, m := range []uint32{MinSize, 5, 7, 13, 31, 251, 509, 1021, 2039, 16381} {
		g, err := New(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 4, 7, 16, 100, int(m) / 2, int(m)} {
			if n < 1 || n > int(m) {
				continue
			}
			for trial := range 3 {
				bs := make([]Backend, n)
				for i := range bs {
					a := netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
					bs[i] = Backend{Addr: netip.AddrPortFrom(a, uint16(1+r.IntN(65535))), Protocol: 6}
				}
				got, want := make([]uint32, m), make([]uint32, m)
				if err := g.Fill(got, bs); err != nil {
					t.Fatal(err)
				}
				refFill(m, want, bs)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: Fill differs from the reference", fmt.Sprintf("M=%d/N=%d/trial %d", m, n, trial))
				}
			}
		}
	}
}

// TestFillValuesMatchesFill checks that FillValues writes the value of the backend that
// Fill names in every slot, for values that include the all-ones word, and that it
// refuses a value count that differs from the backend count.
func TestFillValuesMatchesFill(t *testing.T) {
	for _, m := range []uint32{MinSize, 251, 16381} {
		g, err := New(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 3, 100} {
			if n > int(m) {
				continue
			}
			bs := backends(n)
			vals := make([]uint32, n)
			for i := range vals {
				vals[i] = ^uint32(i) // ^0 first: no value is reserved
			}
			idx, got := make([]uint32, m), make([]uint32, m)
			for i := range got {
				got[i] = 7 // the table's old contents do not matter
			}
			if err := g.Fill(idx, bs); err != nil {
				t.Fatal(err)
			}
			if err := g.FillValues(got, bs, vals); err != nil {
				t.Fatal(err)
			}
			for i, j := range idx {
				if got[i] != vals[j] {
					t.Fatalf("M=%d N=%d: slot %d = %#x, want value %#x of backend %d", m, n, i, got[i], vals[j], j)
				}
			}
		}
	}
	g, _ := New(251)
	if err := g.FillValues(make([]uint32, 251), backends(3), []uint32{1, 2}); !errors.Is(err, ErrValueCount) {
		t.Fatalf("2 values for 3 backends: err = %v, want ErrValueCount", err)
	}
}
