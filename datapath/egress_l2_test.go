package datapath

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/egress"
)

func TestEgressMap(t *testing.T) {
	d := load(t, nil)
	gws := []egress.Gateway{{IP: netip.MustParseAddr("192.168.1.10"), EgressIP: netip.MustParseAddr("10.0.0.10")}}
	pod := egress.Endpoint{UID: "u1", IPs: []netip.Addr{netip.MustParseAddr("10.244.1.7")}}
	entries := egress.Entries([]egress.Endpoint{pod},
		[]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, gws)

	st, err := d.SyncEgress(entries)
	if err != nil {
		t.Fatal(err)
	}
	if st.EgressWritten != 2 || st.EgressDeleted != 0 {
		t.Fatalf("first sync: %+v", st)
	}
	got, err := d.EgressEntries()
	if err != nil || len(got) != 2 || got[0] != entries[0] || got[1] != entries[1] {
		t.Fatalf("read back %v, %v; want %v", got, err, entries)
	}
	if st, err := d.SyncEgress(entries); err != nil || st.Entries() != 0 {
		t.Fatalf("resync wrote %+v, %v", st, err)
	}

	// Longest prefix match: 10.1.2.3 is excluded, 1.1.1.1 goes through the gateway, other
	// sources match nothing.
	for _, tc := range []struct {
		src, dst string
		want     string // "" = no match
	}{
		{"10.244.1.7", "10.1.2.3", "10.244.1.7 -> 10.0.0.0/8 via 0.0.0.1 as 0.0.0.0"},
		{"10.244.1.7", "1.1.1.1", "10.244.1.7 -> 0.0.0.0/0 via 192.168.1.10 as 10.0.0.10"},
		{"10.244.1.8", "1.1.1.1", ""},
	} {
		e, ok, err := d.LookupEgress(netip.MustParseAddr(tc.src), netip.MustParseAddr(tc.dst))
		if err != nil {
			t.Fatal(err)
		}
		if (tc.want == "") == ok || ok && e.String() != tc.want {
			t.Errorf("lookup %s -> %s = %v, %v; want %q", tc.src, tc.dst, e, ok, tc.want)
		}
	}

	st, err = d.SyncEgress(entries[:1])
	if err != nil || st.EgressDeleted != 1 || st.EgressWritten != 0 {
		t.Fatalf("shrinking sync: %+v, %v", st, err)
	}
	bad := entries[0]
	bad.Source = netip.MustParseAddr("fd00::1")
	if _, err := d.SyncEgress([]egress.Entry{bad}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("IPv6 entry: %v", err)
	}
	if _, err := d.SyncEgress([]egress.Entry{entries[0], entries[0]}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate entry: %v", err)
	}
}

func TestEgressCapacity(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 4, MaxBackends: 4, MaxEgress: 2})
	var es []egress.Entry
	for i := range 3 {
		es = append(es, egress.Entry{Source: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), Destination: netip.MustParsePrefix("1.0.0.0/8"),
			EgressIP: netip.MustParseAddr("10.9.9.9"), GatewayIP: netip.MustParseAddr("192.168.0.1")})
	}
	if _, err := d.SyncEgress(es); !errors.Is(err, ErrCapacity) {
		t.Fatalf("3 entries into 2: %v", err)
	}
	if got, _ := d.EgressEntries(); len(got) != 0 {
		t.Fatalf("refused sync wrote %v", got)
	}
}

func TestL2ResponderMap(t *testing.T) {
	d := load(t, nil)
	rs := []L2Responder{
		{IP: netip.MustParseAddr("10.10.200.2"), Ifindex: 2},
		{IP: netip.MustParseAddr("10.10.200.1"), Ifindex: 2},
		{IP: netip.MustParseAddr("10.10.200.1"), Ifindex: 3},
	}
	st, err := d.SyncL2Responders(rs)
	if err != nil || st.L2Written != 3 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	// A responder program's counter survives a resync.
	if err := d.objs.CikL2respV4.Update(lbL2Key{Ip: addrBE(rs[1].IP), Ifindex: 2}, lbL2Val{Responses: 7}, 0); err != nil {
		t.Fatal(err)
	}
	if st, err := d.SyncL2Responders(rs[:2]); err != nil || st.L2Written != 0 || st.L2Deleted != 1 {
		t.Fatalf("shrinking sync: %+v, %v", st, err)
	}
	got, err := d.L2Responders()
	if err != nil {
		t.Fatal(err)
	}
	want := []L2Responder{{IP: rs[1].IP, Ifindex: 2, Responses: 7}, {IP: rs[0].IP, Ifindex: 2}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("read back %v, want %v", got, want)
	}
	if _, err := d.SyncL2Responders([]L2Responder{{IP: netip.MustParseAddr("10.0.0.1")}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("ifindex 0: %v", err)
	}
}
