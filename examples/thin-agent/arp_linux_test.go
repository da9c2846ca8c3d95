package main

import (
	"net"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/ciliumkit/ciliumkit/internal/arpprobe"
)

// iface returns the index and MAC address of the namespace's interface name.
func (n *netns) iface(t testing.TB, name string) (int, net.HardwareAddr) {
	t.Helper()
	var ifc *net.Interface
	if err := n.do(func() (err error) { ifc, err = net.InterfaceByName(name); return err }); err != nil {
		t.Fatal(err)
	}
	return ifc.Index, ifc.HardwareAddr
}

// passXDP attaches an XDP program that passes everything to the namespace's interface
// name. A veth forwards what XDP on its peer sends back (XDP_TX) only when it runs NAPI
// itself, which an XDP program turns on.
func (n *netns) passXDP(t testing.TB, name string) {
	t.Helper()
	idx, _ := n.iface(t, name)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2 /* XDP_PASS */), asm.Return()}})
	if err != nil {
		t.Fatalf("XDP pass program: %v", err)
	}
	defer prog.Close()
	var l link.Link
	err = n.do(func() (err error) {
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: idx})
		return err
	})
	if err != nil {
		t.Fatalf("attach XDP pass program to %s in %s: %v", name, n.name, err)
	}
	t.Cleanup(func() { l.Close() })
}

// newProber opens an ARP prober on the namespace's interface ifname, sending from ip,
// and closes it when the test ends.
func newProber(t *testing.T, n *netns, ifname string, ip netip.Addr) *arpprobe.Prober {
	t.Helper()
	idx, mac := n.iface(t, ifname)
	var p *arpprobe.Prober
	if err := n.do(func() (err error) { p, err = arpprobe.New(idx, mac, ip); return err }); err != nil {
		t.Fatalf("ARP socket in %s: %v", n.name, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// countReplies asks n times, 50ms apart, and counts the replies for ip per sender MAC.
func countReplies(t *testing.T, p *arpprobe.Prober, ip netip.Addr, n int) map[string]int {
	t.Helper()
	counts, err := p.CountReplies(ip, n)
	if err != nil {
		t.Fatal(err)
	}
	return counts
}
