package datapath

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
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
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	rs := []L2Responder{
		{IP: netip.MustParseAddr("10.10.200.2"), Ifindex: 2, MAC: mac},
		{IP: netip.MustParseAddr("10.10.200.1"), Ifindex: 2, MAC: mac},
		{IP: netip.MustParseAddr("10.10.200.1"), Ifindex: 3, MAC: mac},
	}
	st, err := d.SyncL2Responders(rs)
	if err != nil || st.L2Written != 3 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	// A responder's counter survives a resync, and a MAC change.
	if err := d.objs.CikL2respV4.Update(l2Key{Ip: addrBE(rs[1].IP), Ifindex: 2}, l2Val{Responses: 7, Mac: [6]byte(mac)}, 0); err != nil {
		t.Fatal(err)
	}
	if st, err := d.SyncL2Responders(rs[:2]); err != nil || st.L2Written != 0 || st.L2Deleted != 1 {
		t.Fatalf("shrinking sync: %+v, %v", st, err)
	}
	mac2 := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	rs[1].MAC = mac2
	if st, err := d.SyncL2Responders(rs[:2]); err != nil || st.L2Written != 1 || st.L2Deleted != 0 {
		t.Fatalf("MAC change: %+v, %v", st, err)
	}
	got, err := d.L2Responders()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.10.200.1 on ifindex 2 as 02:00:00:00:00:02 (7)", "10.10.200.2 on ifindex 2 as 02:00:00:00:00:01 (0)"}
	if len(got) != 2 || fmt.Sprintf("%v (%d)", got[0], got[0].Responses) != want[0] || fmt.Sprintf("%v (%d)", got[1], got[1].Responses) != want[1] {
		t.Fatalf("read back %v, want %v", got, want)
	}
	if _, err := d.SyncL2Responders([]L2Responder{{IP: netip.MustParseAddr("10.0.0.1"), MAC: mac}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("ifindex 0: %v", err)
	}
	if _, err := d.SyncL2Responders([]L2Responder{{IP: netip.MustParseAddr("10.0.0.1"), Ifindex: 1}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("no MAC: %v", err)
	}
}

// arpRequest builds a broadcast ARP request from 10.10.0.9 (02:00:00:00:00:aa) for tpa.
func arpRequest(tpa netip.Addr) []byte {
	b := make([]byte, 42)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 0xaa})
	binary.BigEndian.PutUint16(b[12:], 0x0806)
	binary.BigEndian.PutUint16(b[14:], 1)      // Ethernet
	binary.BigEndian.PutUint16(b[16:], 0x0800) // IPv4
	b[18], b[19] = 6, 4
	binary.BigEndian.PutUint16(b[20:], 1) // request
	copy(b[22:28], []byte{0x02, 0, 0, 0, 0, 0xaa})
	copy(b[28:32], []byte{10, 10, 0, 9})
	t := tpa.As4()
	copy(b[38:42], t[:])
	return b
}

// xdpMD is struct xdp_md, the XDP test-run context.
type xdpMD struct {
	Data, DataEnd, DataMeta, IngressIfindex, RxQueueIndex, EgressIfindex uint32
}

func TestARPResponder(t *testing.T) {
	d := load(t, nil)
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	lbIP := netip.MustParseAddr("10.10.200.1")
	// Ifindex 1 (loopback) exists in every network namespace, as the test run requires.
	if _, err := d.SyncL2Responders([]L2Responder{{IP: lbIP, Ifindex: 1, MAC: mac}}); err != nil {
		t.Fatal(err)
	}
	runARP := func(in []byte, ifindex uint32) (uint32, []byte) {
		t.Helper()
		out := make([]byte, len(in))
		ctx := xdpMD{DataEnd: uint32(len(in)), IngressIfindex: ifindex}
		ret, err := d.XDPProgram().Run(&ebpf.RunOptions{Data: in, DataOut: out, Context: ctx})
		if err != nil {
			t.Fatal(err)
		}
		return ret, out
	}

	in := arpRequest(lbIP)
	ret, out := runARP(in, 1)
	if ret != xdpTx {
		t.Fatalf("verdict %d, want XDP_TX", ret)
	}
	want := make([]byte, 42)
	copy(want[0:6], in[6:12])                // to the asker
	copy(want[6:12], mac)                    // from us
	copy(want[12:20], in[12:20])             // EtherType, hardware and protocol
	binary.BigEndian.PutUint16(want[20:], 2) // reply
	copy(want[22:28], mac)
	copy(want[28:32], in[38:42]) // the LB IP
	copy(want[32:38], in[22:28]) // asker's MAC
	copy(want[38:42], in[28:32]) // asker's IP
	if !bytes.Equal(out, want) {
		t.Fatalf("reply\n%x\nwant\n%x", out, want)
	}
	rs, err := d.L2Responders()
	if err != nil || len(rs) != 1 || rs[0].Responses != 1 {
		t.Fatalf("counter after one reply: %v, %v", rs, err)
	}

	reply := arpRequest(lbIP)
	binary.BigEndian.PutUint16(reply[20:], 2)
	for name, pkt := range map[string][]byte{
		"other IP":  arpRequest(netip.MustParseAddr("10.10.200.9")),
		"ARP reply": reply,
		"truncated": arpRequest(lbIP)[:40],
	} {
		if ret, out := runARP(pkt, 1); ret != xdpPass || !bytes.Equal(out[:len(pkt)], pkt) {
			t.Errorf("%s: verdict %d, changed %v", name, ret, !bytes.Equal(out[:len(pkt)], pkt))
		}
	}
}
