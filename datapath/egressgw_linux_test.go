package datapath

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os/exec"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ciliumkit/ciliumkit/egress"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

const tcRedirect = 7 // TC_ACT_REDIRECT

// skbCtx is struct __sk_buff (192 bytes): the fields a TC test run may set, then the rest.
type skbCtx struct {
	Len, PktType, Mark, QueueMapping, Protocol, VlanPresent, VlanTci, VlanProto, Priority uint32
	IngressIfindex, Ifindex                                                               uint32
	_                                                                                     [192 - 44]byte
}

// runTC runs a TC program once on a copy of in as if received on ifindex.
func runTC(t *testing.T, p *ebpf.Program, in []byte, ifindex uint32) (uint32, []byte) {
	t.Helper()
	ret, out, _ := runTCMark(t, p, in, ifindex, 0)
	return ret, out
}

// runTCMark is runTC for a packet with skb->mark set to mark; it returns the mark after.
func runTCMark(t *testing.T, p *ebpf.Program, in []byte, ifindex, mark uint32) (uint32, []byte, uint32) {
	t.Helper()
	out := make([]byte, len(in)+64)
	var ctxOut skbCtx
	ret, err := p.Run(&ebpf.RunOptions{Data: append([]byte(nil), in...), DataOut: out,
		Context: skbCtx{Mark: mark, IngressIfindex: ifindex, Ifindex: ifindex}, ContextOut: &ctxOut})
	if err != nil {
		t.Fatal(err)
	}
	return ret, out[:len(in)], ctxOut.Mark
}

var (
	egwPod    = netip.MustParseAddr("10.245.1.7")
	egwWorker = netip.MustParseAddr("192.168.10.11")
	egwGW1    = egress.Gateway{IP: netip.MustParseAddr("192.168.10.21"), EgressIP: netip.MustParseAddr("192.168.10.240")}
	egwGW2    = egress.Gateway{IP: netip.MustParseAddr("192.168.10.22"), EgressIP: netip.MustParseAddr("192.168.10.241")}
	egwExt    = netip.MustParseAddrPort("192.168.20.100:80")
)

// egwEntries: pod -> 0.0.0.0/0 through gw, 192.168.30.0/24 excluded, 192.168.40.0/24
// dropped (no gateway), 192.168.50.0/24 through a gateway behind a router.
func egwEntries(gw egress.Gateway) []egress.Entry {
	ep := []egress.Endpoint{{UID: "pod", IPs: []netip.Addr{egwPod}}}
	es := egress.Entries(ep, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
		[]netip.Prefix{netip.MustParsePrefix("192.168.30.0/24")}, []egress.Gateway{gw})
	es = append(es, egress.Entries(ep, []netip.Prefix{netip.MustParsePrefix("192.168.40.0/24")}, nil, nil)...)
	return append(es, egress.Entries(ep, []netip.Prefix{netip.MustParsePrefix("192.168.50.0/24")}, nil,
		[]egress.Gateway{{IP: netip.MustParseAddr("192.168.60.5"), EgressIP: egwGW1.EgressIP}})...)
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
}

func TestEgressSteer(t *testing.T) {
	d := load(t, nil)
	inNewNetns(t)
	// The node's uplink, with gateway 1's MAC known and gateway 2's not; 192.168.60.0/24
	// is behind a router.
	sh(t, "sysctl", "-qw", "net.ipv4.ip_forward=1") // a node routes its pods' traffic
	sh(t, "ip", "link", "add", "up0", "address", "02:00:00:00:00:11", "type", "veth", "peer", "name", "up1")
	sh(t, "ip", "addr", "add", egwWorker.String()+"/24", "dev", "up0")
	sh(t, "ip", "link", "set", "up0", "up")
	sh(t, "ip", "link", "set", "up1", "up")
	sh(t, "ip", "neigh", "replace", egwGW1.IP.String(), "lladdr", "02:00:00:00:00:21", "dev", "up0", "nud", "permanent")
	sh(t, "ip", "route", "add", "192.168.60.0/24", "via", "192.168.10.1", "dev", "up0", "onlink")
	up0, err := net.InterfaceByName("up0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SyncEgress(append(egwEntries(egwGW1), egress.Entries(
		[]egress.Endpoint{{UID: "pod2", IPs: []netip.Addr{netip.MustParseAddr("10.245.1.8")}}},
		[]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, nil, []egress.Gateway{egwGW2})...)); err != nil {
		t.Fatal(err)
	}
	if err := d.SetEgressNodeIP(egwWorker); err != nil {
		t.Fatal(err)
	}
	if ip, err := d.EgressNodeIP(); err != nil || ip != egwWorker {
		t.Fatalf("node IP read back %v, %v", ip, err)
	}
	src := netip.AddrPortFrom(egwPod, 40000)
	prog := d.EgressSteerProgram()

	// Through gateway 1, whose MAC is known: MACs rewritten, TTL - 1, redirected.
	in := packet(src, egwExt, lb.TCP, false)
	ret, out, mark := runTCMark(t, prog, in, 1, 0x5)
	if ret != tcRedirect {
		t.Fatalf("to the gateway: verdict %d, want TC_ACT_REDIRECT", ret)
	}
	if mark != 0x5|EgressSteerMark {
		t.Errorf("mark %#x, want %#x", mark, 0x5|EgressSteerMark)
	}
	if got, want := net.HardwareAddr(out[0:6]).String(), "02:00:00:00:00:21"; got != want {
		t.Errorf("destination MAC %s, want the gateway's %s", got, want)
	}
	if got := net.HardwareAddr(out[6:12]).String(); got != up0.HardwareAddr.String() {
		t.Errorf("source MAC %s, want the uplink's %s", got, up0.HardwareAddr)
	}
	if out[offIP+8] != in[offIP+8]-1 {
		t.Errorf("TTL %d, want %d", out[offIP+8], in[offIP+8]-1)
	}
	if got, want := binary.BigEndian.Uint16(out[offIP+10:]), ipChecksum(out[offIP:offL4]); got != want {
		t.Errorf("IPv4 checksum %#04x, recomputed %#04x", got, want)
	}
	if string(out[offIP+12:]) != string(in[offIP+12:]) {
		t.Errorf("addresses, ports or payload changed")
	}

	// Gateway 2's MAC is unknown: the kernel resolves it (redirect_neigh); TTL - 1.
	src2 := netip.AddrPortFrom(netip.MustParseAddr("10.245.1.8"), 40000)
	in = packet(src2, egwExt, lb.UDP, false)
	if ret, out = runTC(t, prog, in, 1); ret != tcRedirect || out[offIP+8] != in[offIP+8]-1 {
		t.Fatalf("to a gateway without a neighbour entry: verdict %d, TTL %d", ret, out[offIP+8])
	}

	for _, tc := range []struct {
		name string
		src  netip.AddrPort
		dst  string
		want uint32
	}{
		{"excluded CIDR passes", src, "192.168.30.5:80", tcOK},
		{"no gateway drops", src, "192.168.40.5:80", tcShot},
		{"gateway behind a router drops", src, "192.168.50.5:80", tcShot},
		{"other source passes", netip.MustParseAddrPort("10.245.1.9:40000"), egwExt.String(), tcOK},
	} {
		in := packet(tc.src, netip.MustParseAddrPort(tc.dst), lb.TCP, false)
		ret, out := runTC(t, prog, in, 1)
		if ret != tc.want {
			t.Errorf("%s: verdict %d, want %d", tc.name, ret, tc.want)
		}
		if ret == tcOK && string(out) != string(in) {
			t.Errorf("%s: packet changed", tc.name)
		}
	}

	// On the gateway node itself the pod's traffic goes to the stack (SNAT on the uplink).
	if err := d.SetEgressNodeIP(egwGW1.IP); err != nil {
		t.Fatal(err)
	}
	if ret, _ := runTC(t, prog, packet(src, egwExt, lb.TCP, false), 1); ret != tcOK {
		t.Errorf("on the gateway node: verdict %d, want TC_ACT_OK", ret)
	}
	c, err := d.EgressCounters()
	if err != nil {
		t.Fatal(err)
	}
	want := EgressCounters{Steered: 2, Local: 1, Excluded: 1, DroppedPolicy: 1, DroppedNoRoute: 1}
	if c != want {
		t.Errorf("counters %+v, want %+v", c, want)
	}
	if err := d.SetEgressNodeIP(netip.MustParseAddr("fd00::1")); err == nil {
		t.Error("IPv6 node IP accepted")
	}
}

func TestEgressSNAT(t *testing.T) {
	d := load(t, &Options{MaglevTableSize: 251, MaxServices: 4, MaxBackends: 4, MaxEgressConnections: 64})
	pod2 := netip.MustParseAddr("10.245.1.8")
	es := egwEntries(egwGW1)
	es = append(es, egress.Entries([]egress.Endpoint{{UID: "p2", IPs: []netip.Addr{pod2}}},
		[]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, nil, []egress.Gateway{egwGW1})...)
	es = append(es, egress.Entries([]egress.Endpoint{{UID: "p3", IPs: []netip.Addr{netip.MustParseAddr("10.245.1.9")}}},
		[]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, nil, []egress.Gateway{egwGW2})...)
	if _, err := d.SyncEgress(es); err != nil {
		t.Fatal(err)
	}
	snat, rev := d.EgressSNATProgram(), d.EgressRevSNATProgram()
	src := netip.AddrPortFrom(egwPod, 40000)

	// Not yet the gateway: the pod's traffic is another gateway's, not steered by this
	// node, and is dropped.
	if ret, _ := runTC(t, snat, packet(src, egwExt, lb.TCP, false), 1); ret != tcShot {
		t.Fatalf("before SetEgressNodeIP: verdict %d, want TC_ACT_SHOT", ret)
	}
	if err := d.SetEgressNodeIP(egwGW1.IP); err != nil {
		t.Fatal(err)
	}

	for _, proto := range []lb.Protocol{lb.TCP, lb.UDP} {
		for _, noCsum := range []bool{false, true} {
			if noCsum && proto == lb.TCP {
				continue
			}
			// The flow keeps its port.
			in := packet(src, egwExt, proto, noCsum)
			ret, out := runTC(t, snat, in, 1)
			s, dst, _ := flowOf(out)
			if ret != tcOK || s != netip.AddrPortFrom(egwGW1.EgressIP, 40000) || dst != egwExt {
				t.Fatalf("%v SNAT: verdict %d, %v -> %v", proto, ret, s, dst)
			}
			checkPacket(t, in, out, noCsum)
			// The reply comes back to the pod.
			reply := packet(egwExt, s, proto, noCsum)
			ret, out = runTC(t, rev, reply, 1)
			s2, d2, _ := flowOf(out)
			if ret != tcOK || s2 != egwExt || d2 != src {
				t.Fatalf("%v reverse SNAT: verdict %d, %v -> %v", proto, ret, s2, d2)
			}
			checkPacket(t, reply, out, noCsum)
			// Packets of a known flow keep their port.
			if _, out := runTC(t, snat, in, 1); binary.BigEndian.Uint16(out[offL4:]) != 40000 {
				t.Fatalf("%v second packet: port %d", proto, binary.BigEndian.Uint16(out[offL4:]))
			}
		}
	}

	// Another pod with the same port to the same destination gets another port, and its
	// replies reach it, not the first pod.
	src2 := netip.AddrPortFrom(pod2, 40000)
	_, out := runTC(t, snat, packet(src2, egwExt, lb.TCP, false), 1)
	s, _, _ := flowOf(out)
	if s.Addr() != egwGW1.EgressIP || s.Port() == 40000 || s.Port() < 1024 {
		t.Fatalf("colliding flow left as %v", s)
	}
	_, out = runTC(t, rev, packet(egwExt, s, lb.TCP, false), 1)
	if _, d2, _ := flowOf(out); d2 != src2 {
		t.Fatalf("reply of the colliding flow went to %v, want %v", d2, src2)
	}

	// Untouched: other gateways' entries this node steered, excluded CIDRs, other sources.
	for name, in := range map[string][]byte{
		"excluded":     packet(src, netip.MustParseAddrPort("192.168.30.5:80"), lb.TCP, false),
		"other source": packet(netip.MustParseAddrPort("10.245.2.1:1234"), egwExt, lb.TCP, false),
	} {
		if ret, out := runTC(t, snat, in, 1); ret != tcOK || string(out) != string(in) {
			t.Errorf("%s: verdict %d, changed %v", name, ret, string(out) != string(in))
		}
	}
	other := packet(netip.MustParseAddrPort("10.245.1.9:1234"), egwExt, lb.TCP, false)
	if ret, out, _ := runTCMark(t, snat, other, 1, EgressSteerMark); ret != tcOK || string(out) != string(other) {
		t.Errorf("another gateway's flow steered here: verdict %d, changed %v", ret, string(out) != string(other))
	}
	// Dropped rather than sent with the pod's address: another gateway's flow this node did
	// not steer (a worker that still sends it here), and entries without a gateway.
	if ret, _ := runTC(t, snat, other, 1); ret != tcShot {
		t.Errorf("another gateway's flow not steered here: verdict %d, want TC_ACT_SHOT", ret)
	}
	if ret, _, _ := runTCMark(t, snat, packet(src, netip.MustParseAddrPort("192.168.40.5:80"), lb.TCP, false), 1, EgressSteerMark); ret != tcShot {
		t.Errorf("entry without a gateway: verdict %d, want TC_ACT_SHOT", ret)
	}
	unknown := packet(egwExt, netip.AddrPortFrom(egwGW1.EgressIP, 999), lb.TCP, false)
	if ret, out := runTC(t, rev, unknown, 1); ret != tcOK || string(out) != string(unknown) {
		t.Errorf("reply to an unknown port: verdict %d, changed %v", ret, string(out) != string(unknown))
	}

	// Protocols that cannot be SNATed are dropped rather than sent with the pod's address.
	icmp := packet(src, egwExt, lb.TCP, false)
	icmp[offIP+9] = 1
	if ret, _ := runTC(t, snat, icmp, 1); ret != tcShot {
		t.Errorf("ICMP through the gateway: verdict %d, want TC_ACT_SHOT", ret)
	}
	frag := packet(src, egwExt, lb.UDP, false)
	binary.BigEndian.PutUint16(frag[offIP+6:], 0x2000) // more fragments
	if ret, _ := runTC(t, snat, frag, 1); ret != tcShot {
		t.Errorf("fragment through the gateway: verdict %d, want TC_ACT_SHOT", ret)
	}

	conns, err := d.EgressConnections()
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 3 {
		t.Fatalf("connections %v, want 3 (TCP, UDP, colliding TCP)", conns)
	}
	for _, c := range conns {
		if c.Destination != egwExt || c.Egress.Addr() != egwGW1.EgressIP || c.ReplyIdle < 0 || c.Idle > time.Minute {
			t.Errorf("connection %v: idle %v, reply idle %v", c, c.Idle, c.ReplyIdle)
		}
	}
	c, err := d.EgressCounters()
	if err != nil {
		t.Fatal(err)
	}
	if c.SNATNew != 3 || c.SNAT != 7 || c.RevSNAT != 4 || c.DroppedUnsupported != 2 || c.DroppedNotGateway != 3 {
		t.Errorf("counters %+v", c)
	}

	time.Sleep(10 * time.Millisecond)
	if n, err := d.PruneEgressConnections(5 * time.Millisecond); err != nil || n != 6 {
		t.Fatalf("prune: %d, %v; want 6 entries", n, err)
	}
	if conns, _ := d.EgressConnections(); len(conns) != 0 {
		t.Fatalf("after prune: %v", conns)
	}
	if _, err := d.PruneEgressConnections(0); err == nil {
		t.Error("prune with idle 0 accepted")
	}
}
