package datapath

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// Verdicts of the programs.
const (
	xdpDrop  = 1
	xdpPass  = 2
	xdpTx    = 3
	tcOK     = 0
	tcShot   = 2
	clientIP = "192.168.7.9"
)

func testService(proto lb.Protocol) Service {
	fe := lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: proto}
	s := Service{Frontend: fe}
	for i, a := range []string{"10.244.1.5:8080", "10.244.2.6:8080", "10.245.0.7:8081", "10.245.0.8:8081"} {
		s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort(a), Protocol: proto, ClusterID: uint32(1 + i/2)}})
	}
	return s
}

// run runs p once on a copy of in and returns the verdict and the output packet.
func run(t *testing.T, p *ebpf.Program, in []byte) (uint32, []byte) {
	t.Helper()
	ret, out, err := p.Test(append([]byte(nil), in...))
	if err != nil {
		t.Fatal(err)
	}
	return ret, out
}

type hook struct {
	name       string
	prog       func(*Datapath) *ebpf.Program
	pass, drop uint32
}

var lbHooks = []hook{
	{"xdp", (*Datapath).XDPProgram, xdpPass, xdpDrop},
	{"tc", (*Datapath).TCIngressProgram, tcOK, tcShot},
}

func TestDNATAndReverseNAT(t *testing.T) {
	d := load(t, nil)
	for _, proto := range []lb.Protocol{lb.TCP, lb.UDP} {
		svc := testService(proto)
		if _, err := d.UpsertService(svc); err != nil {
			t.Fatal(err)
		}
		e, err := d.Service(svc.Frontend)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range lbHooks {
			for _, noCsum := range []bool{false, true} {
				if noCsum && proto != lb.UDP {
					continue
				}
				name := h.name + "/" + proto.String()
				if noCsum {
					name += "/no-checksum"
				}
				t.Run(name, func(t *testing.T) {
					client := netip.AddrPortFrom(netip.MustParseAddr(clientIP), 40000)
					in := packet(client, svc.Frontend.Addr, proto, noCsum)
					ret, out := run(t, h.prog(d), in)
					if ret != h.pass {
						t.Fatalf("verdict %d, want %d", ret, h.pass)
					}
					src, dst, _ := flowOf(out)
					want := e.Table[maglev.FlowSlot(client, svc.Frontend.Addr, uint8(proto), uint32(len(e.Table)))]
					if src != client || dst != want {
						t.Fatalf("out %v -> %v, want %v -> %v", src, dst, client, want)
					}
					checkPacket(t, in, out, noCsum)

					// The backend's reply leaves with the frontend as its source.
					reply := packet(dst, client, proto, noCsum)
					ret, back := run(t, d.TCEgressProgram(), reply)
					if ret != tcOK {
						t.Fatalf("reverse NAT verdict %d", ret)
					}
					if s, dd, _ := flowOf(back); s != svc.Frontend.Addr || dd != client {
						t.Fatalf("reply %v -> %v, want %v -> %v", s, dd, svc.Frontend.Addr, client)
					}
					checkPacket(t, reply, back, noCsum)
				})
			}
		}
	}
}

func TestPassUntouched(t *testing.T) {
	d := load(t, nil)
	svc := testService(lb.TCP)
	if _, err := d.UpsertService(svc); err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddrPort(clientIP + ":40000")
	vip := svc.Frontend.Addr
	icmp := packet(client, vip, lb.TCP, false)
	icmp[offIP+9] = 1 // ICMP to the VIP
	arp := packet(client, vip, lb.TCP, false)
	arp[12], arp[13] = 0x08, 0x06
	frag := packet(client, vip, lb.TCP, false)
	frag[offIP+6] = 0x20 // more fragments
	cases := map[string][]byte{
		"other VIP":            packet(client, netip.MustParseAddrPort("10.96.0.11:80"), lb.TCP, false),
		"other port":           packet(client, netip.AddrPortFrom(vip.Addr(), 81), lb.TCP, false),
		"other protocol (UDP)": packet(client, vip, lb.UDP, false),
		"ICMP":                 icmp,
		"ARP":                  arp,
		"IP fragment":          frag,
		"truncated TCP":        packet(client, vip, lb.TCP, false)[:offL4+10],
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
}

func TestNoBackendDrops(t *testing.T) {
	d := load(t, nil)
	svc := testService(lb.UDP)
	for i := range svc.Backends {
		svc.Backends[i].State = []lb.BackendState{lb.BackendTerminating, lb.BackendQuarantined, lb.BackendMaintenance}[i%3]
	}
	if _, err := d.UpsertService(svc); err != nil {
		t.Fatal(err)
	}
	in := packet(netip.MustParseAddrPort(clientIP+":40000"), svc.Frontend.Addr, lb.UDP, false)
	for _, h := range lbHooks {
		if ret, _ := run(t, h.prog(d), in); ret != h.drop {
			t.Errorf("%s: verdict %d, want drop (%d)", h.name, ret, h.drop)
		}
	}
	// Replies of the terminating backend are still reverse-NATed.
	reply := packet(svc.Backends[0].Addr, netip.MustParseAddrPort(clientIP+":40000"), lb.UDP, false)
	if _, out := run(t, d.TCEgressProgram(), reply); func() bool { s, _, _ := flowOf(out); return s != svc.Frontend.Addr }() {
		t.Errorf("terminating backend's reply not reverse-NATed")
	}
}

func TestSameFlowSameBackend(t *testing.T) {
	d := load(t, nil)
	svc := testService(lb.TCP)
	if _, err := d.UpsertService(svc); err != nil {
		t.Fatal(err)
	}
	e, err := d.Service(svc.Frontend)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.AddrPort]int{}
	for port := uint16(30000); port < 30200; port++ {
		client := netip.AddrPortFrom(netip.MustParseAddr(clientIP), port)
		in := packet(client, svc.Frontend.Addr, lb.TCP, false)
		var first netip.AddrPort
		for i := range 3 {
			for _, h := range lbHooks {
				_, out := run(t, h.prog(d), in)
				_, dst, _ := flowOf(out)
				if i == 0 && h.name == "xdp" {
					first = dst
				} else if dst != first {
					t.Fatalf("flow from %v went to %v and %v", client, first, dst)
				}
			}
		}
		if want := e.Table[maglev.FlowSlot(client, svc.Frontend.Addr, uint8(lb.TCP), uint32(len(e.Table)))]; first != want {
			t.Fatalf("flow from %v went to %v, FlowSlot predicts %v", client, first, want)
		}
		seen[first]++
	}
	if len(seen) != len(svc.Backends) {
		t.Errorf("200 flows reached %d of %d backends: %v", len(seen), len(svc.Backends), seen)
	}
}

// TestFlowsAcrossRowElements sends 512 flows (client ports 40000-40511) to a service at
// M=16381, whose row is 17 map elements: every flow reaches the backend of the slot
// FlowSlot computes, and the flows' slots fall in every element.
func TestFlowsAcrossRowElements(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: maglev.DefaultSize, MaxServices: 16, MaxBackends: 64})
	svc := services(1)[0]
	if _, err := d.Sync([]Service{svc}); err != nil {
		t.Fatal(err)
	}
	e, err := d.Service(svc.Frontend)
	if err != nil {
		t.Fatal(err)
	}
	elems := map[uint32]bool{}
	for port := range uint16(512) {
		client := netip.AddrPortFrom(netip.MustParseAddr(clientIP), 40000+port)
		slot := maglev.FlowSlot(client, svc.Frontend.Addr, uint8(lb.TCP), maglev.DefaultSize)
		elems[slot/d.rowPer] = true
		ret, out := run(t, d.XDPProgram(), packet(client, svc.Frontend.Addr, lb.TCP, false))
		if _, dst, _ := flowOf(out); ret != xdpPass || dst != e.Table[slot] {
			t.Fatalf("flow from %v: verdict %d, went to %v, want slot %d's %v", client, ret, dst, slot, e.Table[slot])
		}
	}
	if len(elems) != int(d.rowN) {
		t.Fatalf("flows fell in %d of the row's %d elements", len(elems), d.rowN)
	}
}
