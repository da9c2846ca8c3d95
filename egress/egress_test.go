package egress

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

var (
	gwA = Gateway{IP: netip.MustParseAddr("192.168.1.30"), EgressIP: netip.MustParseAddr("10.0.0.30")}
	gwB = Gateway{IP: netip.MustParseAddr("192.168.1.10"), EgressIP: netip.MustParseAddr("10.0.0.10")}
	gwC = Gateway{IP: netip.MustParseAddr("192.168.1.20"), EgressIP: netip.MustParseAddr("10.0.0.20")}
)

func TestSelectGateway(t *testing.T) {
	// FNV-32a("a") = 0xe40c292c; 0xe40c292c % 3 = 1; % 2 = 0.
	tests := []struct {
		name string
		uid  string
		gws  []Gateway
		want Gateway
		err  error
	}{
		{"none", "a", nil, Gateway{}, ErrNoGateways},
		{"one", "a", []Gateway{gwA}, gwA, nil},
		{"three sorted by IP, index 1", "a", []Gateway{gwA, gwB, gwC}, gwC, nil},
		{"input order does not matter", "a", []Gateway{gwC, gwA, gwB}, gwC, nil},
		{"two, index 0", "a", []Gateway{gwA, gwC}, gwC, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]Gateway(nil), tc.gws...)
			got, err := SelectGateway(tc.uid, tc.gws)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for i := range in {
				if in[i] != tc.gws[i] {
					t.Fatalf("input modified: %v", tc.gws)
				}
			}
		})
	}
}

func TestEntries(t *testing.T) {
	ep := Endpoint{UID: "a", IPs: []netip.Addr{netip.MustParseAddr("10.244.0.5"), netip.MustParseAddr("fd00::5")}}
	dst := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("1.1.1.7/24")}
	excl := []netip.Prefix{netip.MustParsePrefix("1.1.1.128/25")}

	got := Entries([]Endpoint{ep}, dst, excl, []Gateway{gwA, gwB, gwC})
	want := []string{
		"10.244.0.5 -> 0.0.0.0/0 via 192.168.1.20 as 10.0.0.20",
		"10.244.0.5 -> 1.1.1.0/24 via 192.168.1.20 as 10.0.0.20",
		"10.244.0.5 -> 1.1.1.128/25 via 0.0.0.1 as 0.0.0.0",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d = %q, want %q", i, got[i], want[i])
		}
		if err := got[i].Validate(); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	if !got[2].Excluded() || got[2].Drops() || got[0].Excluded() {
		t.Errorf("Excluded/Drops wrong: %v", got)
	}

	none := Entries([]Endpoint{ep}, dst[:1], nil, nil)
	if len(none) != 1 || !none[0].Drops() {
		t.Errorf("without gateways want one dropping entry, got %v", none)
	}
}

func TestEntryValidate(t *testing.T) {
	ok := Entry{
		Source:      netip.MustParseAddr("10.0.0.1"),
		Destination: netip.MustParsePrefix("1.0.0.0/8"),
		EgressIP:    netip.MustParseAddr("10.9.9.9"),
		GatewayIP:   netip.MustParseAddr("192.168.0.1"),
	}
	tests := []struct {
		name string
		mod  func(*Entry)
		want string
	}{
		{"valid", func(*Entry) {}, ""},
		{"ipv6 source", func(e *Entry) { e.Source = netip.MustParseAddr("fd00::1") }, "source fd00::1"},
		{"no destination", func(e *Entry) { e.Destination = netip.Prefix{} }, "destination"},
		{"no egress IP", func(e *Entry) { e.EgressIP = netip.Addr{} }, "egress IP"},
		{"ipv6 gateway", func(e *Entry) { e.GatewayIP = netip.MustParseAddr("::1") }, "gateway IP ::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := ok
			tc.mod(&e)
			err := e.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidEntry mentioning %q", err, tc.want)
			}
		})
	}
}
