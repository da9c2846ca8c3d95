package l2_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/ciliumkit/ciliumkit/internal/arpprobe"
)

// netns is a named network namespace (ip netns), deleted when the test ends.
type netns struct{ name string }

var nsSeq atomic.Int32

func newNetns(t testing.TB, role string) *netns {
	t.Helper()
	n := &netns{name: fmt.Sprintf("cik-l2-%d-%d-%s", os.Getpid(), nsSeq.Add(1), role)}
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name).Run() })
	n.ip(t, "link", "set", "lo", "up")
	return n
}

// ip runs ip(8) in the namespace.
func (n *netns) ip(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, append([]string{"ip", "-n", n.name}, args...)...)
}

func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// do runs f on an OS thread inside the namespace. Sockets f opens stay in the namespace
// when used from other goroutines afterwards.
func (n *netns) do(f func() error) error {
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open own network namespace: %w", err)
	}
	defer unix.Close(orig)
	fd, err := unix.Open("/run/netns/"+n.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open network namespace %s: %w", n.name, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace %s: %w", n.name, err)
	}
	defer func() {
		// Unlock only a thread that is back home; otherwise the runtime discards it.
		if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return f()
}

// segment is one Ethernet segment: a bridge in its own namespace and, per host, a
// namespace whose eth0 is a veth port of the bridge.
type segment struct {
	t      *testing.T
	bridge *netns
	ports  int
}

func newSegment(t *testing.T) *segment {
	s := &segment{t: t, bridge: newNetns(t, "br")}
	s.bridge.ip(t, "link", "add", "br0", "type", "bridge")
	s.bridge.ip(t, "link", "set", "br0", "up")
	return s
}

// host adds a namespace on the segment and returns it with its eth0's index and MAC.
func (s *segment) host(role string) (*netns, int, net.HardwareAddr) {
	t := s.t
	n := newNetns(t, role)
	s.ports++
	port := fmt.Sprintf("port%d", s.ports)
	run(t, "ip", "link", "add", "eth0", "netns", n.name, "type", "veth", "peer", "name", port, "netns", s.bridge.name)
	s.bridge.ip(t, "link", "set", port, "master", "br0", "up")
	n.ip(t, "link", "set", "eth0", "up")
	// A veth forwards what XDP sends back (XDP_TX) only when its peer runs NAPI, which
	// an XDP program on the peer turns on; this one passes everything.
	err := s.bridge.do(func() error {
		ifc, err := net.InterfaceByName(port)
		if err != nil {
			return err
		}
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2 /* XDP_PASS */), asm.Return()}})
		if err != nil {
			return err
		}
		l, err := link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifc.Index})
		prog.Close()
		if err != nil {
			return err
		}
		t.Cleanup(func() { l.Close() })
		return nil
	})
	if err != nil {
		t.Fatalf("XDP pass program on %s: %v", port, err)
	}
	var ifc *net.Interface
	if err := n.do(func() (err error) { ifc, err = net.InterfaceByName("eth0"); return err }); err != nil {
		t.Fatal(err)
	}
	return n, ifc.Index, ifc.HardwareAddr
}

// newProber opens an ARP prober on the namespace's interface ifindex (MAC mac), sending
// from ip, and closes it when the test ends.
func newProber(t *testing.T, n *netns, ifindex int, mac net.HardwareAddr, ip netip.Addr) *arpprobe.Prober {
	t.Helper()
	var p *arpprobe.Prober
	if err := n.do(func() (err error) { p, err = arpprobe.New(ifindex, mac, ip); return err }); err != nil {
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
