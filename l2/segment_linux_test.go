package l2_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
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

// arpFrame is an ARP packet seen by a prober.
type arpFrame struct {
	at       time.Time
	op       uint16
	sha, tha net.HardwareAddr
	spa, tpa netip.Addr
}

// parseARP parses an Ethernet/IPv4 ARP frame.
func parseARP(b []byte) (arpFrame, bool) {
	if len(b) < 42 || binary.BigEndian.Uint16(b[12:]) != 0x0806 || binary.BigEndian.Uint16(b[14:]) != 1 ||
		binary.BigEndian.Uint16(b[16:]) != 0x0800 || b[18] != 6 || b[19] != 4 {
		return arpFrame{}, false
	}
	return arpFrame{
		op:  binary.BigEndian.Uint16(b[20:]),
		sha: net.HardwareAddr(append([]byte(nil), b[22:28]...)), spa: netip.AddrFrom4([4]byte(b[28:32])),
		tha: net.HardwareAddr(append([]byte(nil), b[32:38]...)), tpa: netip.AddrFrom4([4]byte(b[38:42])),
	}, true
}

// prober is a client on the segment: it sends ARP requests and records every ARP packet
// it receives.
type prober struct {
	fd      int
	ifindex int
	mac     net.HardwareAddr
	ip      netip.Addr
	stop    atomic.Bool
	done    chan struct{}

	mu   sync.Mutex
	seen []arpFrame
}

func newProber(t *testing.T, n *netns, ifindex int, mac net.HardwareAddr, ip netip.Addr) *prober {
	p := &prober{ifindex: ifindex, mac: mac, ip: ip, done: make(chan struct{})}
	err := n.do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			return err
		}
		p.fd = fd
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifindex}); err != nil {
			return err
		}
		return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 100000})
	})
	if err != nil {
		t.Fatalf("ARP socket in %s: %v", n.name, err)
	}
	go p.read()
	t.Cleanup(func() {
		p.stop.Store(true)
		<-p.done
		unix.Close(p.fd)
	})
	return p
}

func (p *prober) read() {
	defer close(p.done)
	buf := make([]byte, 1500)
	for !p.stop.Load() {
		n, from, err := unix.Recvfrom(p.fd, buf, 0)
		if err != nil {
			continue // timeout: check stop
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		if f, ok := parseARP(buf[:n]); ok {
			f.at = time.Now()
			p.mu.Lock()
			p.seen = append(p.seen, f)
			p.mu.Unlock()
		}
	}
}

// ask broadcasts an ARP request for ip.
func (p *prober) ask(ip netip.Addr) error {
	b := make([]byte, 42)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], p.mac)
	binary.BigEndian.PutUint16(b[12:], 0x0806)
	copy(b[14:22], []byte{0, 1, 8, 0, 6, 4, 0, 1})
	copy(b[22:28], p.mac)
	src, dst := p.ip.As4(), ip.As4()
	copy(b[28:32], src[:])
	copy(b[38:42], dst[:])
	sa := &unix.SockaddrLinklayer{Ifindex: p.ifindex, Protocol: htons(unix.ETH_P_ARP), Halen: 6}
	copy(sa.Addr[:], b[0:6])
	return unix.Sendto(p.fd, b, 0, sa)
}

// frames returns the frames seen since since that match keep.
func (p *prober) frames(since time.Time, keep func(arpFrame) bool) []arpFrame {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []arpFrame
	for _, f := range p.seen {
		if !f.at.Before(since) && keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// replies returns the ARP replies for ip to this prober seen since since.
func (p *prober) replies(since time.Time, ip netip.Addr) []arpFrame {
	return p.frames(since, func(f arpFrame) bool { return f.op == 2 && f.spa == ip && f.tpa == p.ip })
}

// gratuitous returns the gratuitous ARP packets for ip (sender and target address both
// ip) from mac seen since since.
func (p *prober) gratuitous(since time.Time, ip netip.Addr, mac net.HardwareAddr) []arpFrame {
	return p.frames(since, func(f arpFrame) bool {
		return f.op == 1 && f.spa == ip && f.tpa == ip && f.sha.String() == mac.String()
	})
}

// countReplies asks n times, 50ms apart, and counts the replies per MAC.
func (p *prober) countReplies(t *testing.T, ip netip.Addr, n int) map[string]int {
	t.Helper()
	start := time.Now()
	for range n {
		if err := p.ask(ip); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	counts := map[string]int{}
	for _, f := range p.replies(start, ip) {
		counts[f.sha.String()]++
	}
	return counts
}

// firstReplyFrom asks every 50ms until mac answers for ip, and returns when its first
// reply arrived, or an error after timeout.
func (p *prober) firstReplyFrom(ip netip.Addr, mac net.HardwareAddr, since time.Time, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := p.ask(ip); err != nil {
			return time.Time{}, err
		}
		time.Sleep(50 * time.Millisecond)
		for _, f := range p.replies(since, ip) {
			if f.sha.String() == mac.String() {
				return f.at, nil
			}
		}
	}
	return time.Time{}, errors.New("no reply")
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
