package datapath

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

const clientIP6 = "fd00:7::9"

func testService6(proto lb.Protocol) Service {
	fe := lb.Frontend{Addr: netip.MustParseAddrPort("[fd00:96::10]:80"), Protocol: proto}
	s := Service{Frontend: fe}
	for i, a := range []string{"[fd00:244:1::5]:8080", "[fd00:244:2::6]:8080", "[fd00:245::7]:8081", "[fd00:245::8]:8081"} {
		s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort(a), Protocol: proto, ClusterID: uint32(1 + i/2)}})
	}
	return s
}

// TestDNATAndReverseNAT6 is TestDNATAndReverseNAT over IPv6, beside an IPv4 service with
// the same backend IDs' neighbours: each packet reaches the backend the Maglev table names
// for its 5-tuple (FlowSlot agrees with the programs' IPv6 hash), with a checksum that
// verifies, and the reply leaves with the frontend as its source.
func TestDNATAndReverseNAT6(t *testing.T) {
	d := load(t, nil)
	if _, err := d.UpsertService(testService(lb.TCP)); err != nil {
		t.Fatal(err)
	}
	for _, proto := range []lb.Protocol{lb.TCP, lb.UDP} {
		svc := testService6(proto)
		if _, err := d.UpsertService(svc); err != nil {
			t.Fatal(err)
		}
		e, err := d.Service(svc.Frontend)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Backends) != 4 || e.Table == nil {
			t.Fatalf("read back %d backends, table %d slots", len(e.Backends), len(e.Table))
		}
		for _, h := range lbHooks {
			t.Run(h.name+"/"+proto.String(), func(t *testing.T) {
				seen := map[netip.AddrPort]bool{}
				for port := uint16(40000); port < 40064; port++ {
					client := netip.AddrPortFrom(netip.MustParseAddr(clientIP6), port)
					in := packet6(client, svc.Frontend.Addr, proto)
					ret, out := run(t, h.prog(d), in)
					if ret != h.pass {
						t.Fatalf("verdict %d, want %d", ret, h.pass)
					}
					src, dst := flowOf6(out)
					want := e.Table[maglev.FlowSlot(client, svc.Frontend.Addr, uint8(proto), uint32(len(e.Table)))]
					if src != client || dst != want {
						t.Fatalf("out %v -> %v, want %v -> %v", src, dst, client, want)
					}
					checkPacket6(t, in, out)
					seen[dst] = true

					reply := packet6(dst, client, proto)
					ret, back := run(t, d.TCEgressProgram(), reply)
					if ret != tcOK {
						t.Fatalf("reverse NAT verdict %d", ret)
					}
					if s, dd := flowOf6(back); s != svc.Frontend.Addr || dd != client {
						t.Fatalf("reply %v -> %v, want %v -> %v", s, dd, svc.Frontend.Addr, client)
					}
					checkPacket6(t, reply, back)
				}
				if len(seen) != 4 {
					t.Errorf("64 flows reached %d of 4 backends", len(seen))
				}
			})
		}
	}
	checkMirror(t, d)
}

func TestPassUntouched6(t *testing.T) {
	d := load(t, nil)
	svc := testService6(lb.TCP)
	if _, err := d.UpsertService(svc); err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort("[" + clientIP6 + "]:40000")
	vip := svc.Frontend.Addr
	ext := packet6(client, vip, lb.TCP)
	ext[offIP+6] = 0 // hop-by-hop options header first
	icmp := packet6(client, vip, lb.TCP)
	icmp[offIP+6] = 58
	icmp[offL4v6] = 128 // echo request to the VIP
	cases := map[string][]byte{
		"other VIP":            packet6(client, netip.MustParseAddrPort("[fd00:96::11]:80"), lb.TCP),
		"other port":           packet6(client, netip.AddrPortFrom(vip.Addr(), 81), lb.TCP),
		"other protocol (UDP)": packet6(client, vip, lb.UDP),
		"extension header":     ext,
		"ICMPv6 echo":          icmp,
		"truncated TCP":        packet6(client, vip, lb.TCP)[:offL4v6+10],
		"IPv4 of the same":     packet(netip.MustParseAddrPort(clientIP+":40000"), netip.MustParseAddrPort("10.96.0.10:80"), lb.TCP, false),
	}
	for _, h := range append(lbHooks, hook{"tc-egress", (*Datapath).TCEgressProgram, tcOK, tcShot}) {
		for name, in := range cases {
			t.Run(h.name+"/"+name, func(t *testing.T) {
				ret, out := run(t, h.prog(d), in)
				if ret != h.pass || !bytes.Equal(out, in) {
					t.Fatalf("verdict %d (want %d), packet changed: %v", ret, h.pass, !bytes.Equal(out, in))
				}
			})
		}
	}
	// Without an active backend the IPv6 frontend drops.
	for i := range svc.Backends {
		svc.Backends[i].State = lb.BackendTerminating
	}
	if _, err := d.UpsertService(svc); err != nil {
		t.Fatal(err)
	}
	for _, h := range lbHooks {
		if ret, _ := run(t, h.prog(d), packet6(client, vip, lb.TCP)); ret != h.drop {
			t.Errorf("%s: verdict %d, want drop (%d)", h.name, ret, h.drop)
		}
	}
}

// TestNDPResponder: a neighbour solicitation for an IPv6 L2 responder address on the
// receiving interface is answered in place with a solicited, override advertisement from
// the responder's MAC that verifies (ICMPv6 checksum, lengths, hop limit 255), whether or
// not the solicitation carried a source link-layer address option; anything else passes.
func TestNDPResponder(t *testing.T) {
	d := load(t, nil)
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	lbIP := netip.MustParseAddr("fd00:10:200::1")
	asker := netip.MustParseAddr("fd00:10::9")
	if _, err := d.SyncL2Responders([]L2Responder{
		{IP: lbIP, Ifindex: 1, MAC: mac},
		{IP: netip.MustParseAddr("10.10.200.1"), Ifindex: 1, MAC: mac},
	}); err != nil {
		t.Fatal(err)
	}
	runXDP := func(in []byte, ifindex uint32) (uint32, []byte) {
		t.Helper()
		out := make([]byte, len(in)+64)
		ctx := xdpMD{DataEnd: uint32(len(in)), IngressIfindex: ifindex}
		opts := &ebpf.RunOptions{Data: in, DataOut: out, Context: ctx}
		ret, err := d.XDPProgram().Run(opts)
		if err != nil {
			t.Fatal(err)
		}
		return ret, opts.DataOut
	}
	for _, noOption := range []bool{false, true} {
		in := neighborSolicitation(asker, lbIP, noOption)
		ret, out := runXDP(in, 1)
		if ret != xdpTx {
			t.Fatalf("option %v: verdict %d, want XDP_TX", !noOption, ret)
		}
		if len(out) != 86 {
			t.Fatalf("option %v: advertisement of %d bytes, want 86", !noOption, len(out))
		}
		if !bytes.Equal(out[0:6], in[6:12]) || !bytes.Equal(out[6:12], mac) {
			t.Errorf("Ethernet %x -> %x, want %x -> %x", out[6:12], out[0:6], mac, in[6:12])
		}
		ip := out[offIP:]
		src, dst := netip.AddrFrom16([16]byte(ip[8:24])), netip.AddrFrom16([16]byte(ip[24:40]))
		if binary.BigEndian.Uint32(ip[0:]) != 0x6000_0000 || binary.BigEndian.Uint16(ip[4:]) != 32 || ip[6] != 58 || ip[7] != 255 || src != lbIP || dst != asker {
			t.Errorf("IPv6 header %x: %v -> %v", ip[:8], src, dst)
		}
		na := out[offL4v6:]
		if na[0] != 136 || na[1] != 0 || binary.BigEndian.Uint32(na[4:]) != 0x6000_0000 ||
			netip.AddrFrom16([16]byte(na[8:24])) != lbIP || na[24] != 2 || na[25] != 1 || !bytes.Equal(na[26:32], mac) {
			t.Errorf("advertisement %x", na)
		}
		if got, want := binary.BigEndian.Uint16(na[2:]), l4Checksum6(out); got != want {
			t.Errorf("ICMPv6 checksum %#04x, recomputed %#04x", got, want)
		}
	}
	rs, err := d.L2Responders()
	if err != nil || len(rs) != 2 || rs[1].IP != lbIP || rs[1].Responses != 2 {
		t.Fatalf("counters after two replies: %v, %v", rs, err)
	}
	dad := neighborSolicitation(netip.IPv6Unspecified(), lbIP, true)
	hop := neighborSolicitation(asker, lbIP, false)
	hop[offIP+7] = 64
	for name, c := range map[string]struct {
		pkt     []byte
		ifindex uint32
	}{
		"other target":          {neighborSolicitation(asker, netip.MustParseAddr("fd00:10:200::9"), false), 1},
		"other interface":       {neighborSolicitation(asker, lbIP, false), 2},
		"duplicate address det": {dad, 1},
		"hop limit 64":          {hop, 1},
		"truncated":             {neighborSolicitation(asker, lbIP, true)[:70], 1},
	} {
		ifindex := c.ifindex
		if ifindex == 2 {
			// Only ifindex 1 exists in every namespace: run this one where a second
			// interface exists or treat its absence as the same miss.
			if _, err := net.InterfaceByIndex(2); err != nil {
				continue
			}
		}
		if ret, out := runXDP(c.pkt, ifindex); ret != xdpPass || !bytes.Equal(out, c.pkt) {
			t.Errorf("%s: verdict %d, changed %v", name, ret, !bytes.Equal(out, c.pkt))
		}
	}
}
