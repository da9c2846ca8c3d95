package ipam_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/ipam"
)

func TestRangeFrom(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		first, last netip.Addr
		ok          bool
	}{
		{a("10.0.0.1"), a("10.0.0.9"), true},
		{a("10.0.0.1"), a("10.0.0.1"), true},
		{a("2001:db8::1"), a("2001:db8::ff"), true},
		{a("10.0.0.9"), a("10.0.0.1"), false},         // reversed
		{a("10.0.0.1"), a("2001:db8::1"), false},      // mixed families
		{a("10.0.0.1"), a("::ffff:10.0.0.9"), false},  // IPv4-mapped is IPv6
		{a("fe80::1%eth0"), a("fe80::2%eth0"), false}, // zoned
		{netip.Addr{}, netip.Addr{}, false},
	} {
		r, ok := ipam.RangeFrom(tc.first, tc.last)
		if ok != tc.ok {
			t.Errorf("RangeFrom(%s, %s) ok = %v, want %v", tc.first, tc.last, ok, tc.ok)
			continue
		}
		if !ok {
			if r != (ipam.Range{}) {
				t.Errorf("RangeFrom(%s, %s) = %v, want the zero Range", tc.first, tc.last, r)
			}
			continue
		}
		if r.First() != tc.first || r.Last() != tc.last {
			t.Errorf("RangeFrom(%s, %s) = %s-%s", tc.first, tc.last, r.First(), r.Last())
		}
	}
}

func TestRangeOf(t *testing.T) {
	for p, want := range map[string][2]string{
		"10.0.0.0/29":         {"10.0.0.0", "10.0.0.7"},
		"10.0.0.5/29":         {"10.0.0.0", "10.0.0.7"}, // masked
		"10.0.0.9/32":         {"10.0.0.9", "10.0.0.9"},
		"0.0.0.0/0":           {"0.0.0.0", "255.255.255.255"},
		"2001:db8::/126":      {"2001:db8::", "2001:db8::3"},
		"::/0":                {"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		"::ffff:10.0.0.0/120": {"::ffff:10.0.0.0", "::ffff:10.0.0.255"},
	} {
		r := ipam.RangeOf(netip.MustParsePrefix(p))
		if r.First().String() != want[0] || r.Last().String() != want[1] {
			t.Errorf("RangeOf(%s) = %s-%s, want %s-%s", p, r.First(), r.Last(), want[0], want[1])
		}
	}
	if r := ipam.RangeOf(netip.Prefix{}); r != (ipam.Range{}) {
		t.Errorf("RangeOf(invalid) = %v, want the zero Range", r)
	}
}

func TestRangeContainsOverlaps(t *testing.T) {
	v4 := ipam.RangeOf(netip.MustParsePrefix("10.0.0.0/24"))
	mapped := ipam.RangeOf(netip.MustParsePrefix("::ffff:10.0.0.0/120"))
	for ip, want := range map[string]bool{
		"10.0.0.0": true, "10.0.0.255": true, "10.0.1.0": false, "9.255.255.255": false, "::ffff:10.0.0.1": false,
	} {
		if got := v4.Contains(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s-%s Contains(%s) = %v, want %v", v4.First(), v4.Last(), ip, got, want)
		}
	}
	if !mapped.Contains(netip.MustParseAddr("::ffff:10.0.0.1")) || mapped.Contains(netip.MustParseAddr("10.0.0.1")) {
		t.Error("IPv4-mapped range must hold only IPv6 addresses")
	}
	var zero ipam.Range
	if zero.Contains(netip.Addr{}) || zero.Contains(netip.MustParseAddr("0.0.0.0")) || zero.Overlaps(zero) || zero.Overlaps(v4) || v4.Overlaps(zero) {
		t.Error("the zero Range must contain and overlap nothing")
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"10.0.0.0/24", "10.0.0.128/25", true},
		{"10.0.0.0/24", "10.0.1.0/24", false},
		{"10.0.0.0/8", "10.255.255.255/32", true},
		{"10.0.0.0/24", "::ffff:10.0.0.0/120", false},
		{"0.0.0.0/0", "::/0", false},
	} {
		a, b := ipam.RangeOf(netip.MustParsePrefix(tc.a)), ipam.RangeOf(netip.MustParsePrefix(tc.b))
		if a.Overlaps(b) != tc.want || b.Overlaps(a) != tc.want {
			t.Errorf("%s overlaps %s: %v, want %v", tc.a, tc.b, a.Overlaps(b), tc.want)
		}
	}
}

func TestRangeStartsBefore(t *testing.T) {
	order := []ipam.Range{
		{},
		ipam.RangeOf(netip.MustParsePrefix("0.0.0.0/32")),
		ipam.RangeOf(netip.MustParsePrefix("10.0.0.0/8")),
		ipam.RangeOf(netip.MustParsePrefix("255.255.255.255/32")),
		ipam.RangeOf(netip.MustParsePrefix("::/128")),
		ipam.RangeOf(netip.MustParsePrefix("::ffff:0.0.0.0/96")),
		ipam.RangeOf(netip.MustParsePrefix("2001:db8::/32")),
	}
	for i := range order {
		for j := range order {
			if got := order[i].StartsBefore(order[j]); got != (i < j) {
				t.Errorf("%d (%s) StartsBefore %d (%s) = %v", i, order[i].First(), j, order[j].First(), got)
			}
		}
	}
	// Same first address: neither starts before the other.
	a := ipam.RangeOf(netip.MustParsePrefix("10.0.0.0/8"))
	b := ipam.RangeOf(netip.MustParsePrefix("10.0.0.0/24"))
	if a.StartsBefore(b) || b.StartsBefore(a) {
		t.Error("ranges with the same first address must be equivalent")
	}
}

func ExampleRangeFrom() {
	r, ok := ipam.RangeFrom(netip.MustParseAddr("10.10.200.1"), netip.MustParseAddr("10.10.200.6"))
	fmt.Println(ok, r.First(), r.Last(), r.Contains(netip.MustParseAddr("10.10.200.7")))
	fmt.Println(r.Overlaps(ipam.RangeOf(netip.MustParsePrefix("10.10.200.0/30"))))
	_, ok = ipam.RangeFrom(netip.MustParseAddr("10.10.200.6"), netip.MustParseAddr("10.10.200.1"))
	fmt.Println(ok)
	// Output:
	// true 10.10.200.1 10.10.200.6 false
	// true
	// false
}
