package main

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
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

// arpFrame is an ARP packet seen by a prober.
type arpFrame struct {
	at       time.Time
	op       uint16
	sha, tha net.HardwareAddr
	spa, tpa netip.Addr
}

// parseARP parses an Ethernet/IPv4 ARP frame.
func parseARP(b []byte) (arpFrame, bool) {
	if len(b) < 42 || binary.BigEndian.Uint16(b[12:]) != unix.ETH_P_ARP || binary.BigEndian.Uint16(b[14:]) != 1 ||
		binary.BigEndian.Uint16(b[16:]) != unix.ETH_P_IP || b[18] != 6 || b[19] != 4 {
		return arpFrame{}, false
	}
	return arpFrame{
		op:  binary.BigEndian.Uint16(b[20:]),
		sha: net.HardwareAddr(slices.Clone(b[22:28])), spa: netip.AddrFrom4([4]byte(b[28:32])),
		tha: net.HardwareAddr(slices.Clone(b[32:38])), tpa: netip.AddrFrom4([4]byte(b[38:42])),
	}, true
}

// prober sends ARP requests from a namespace's interface through an AF_PACKET socket and
// records every ARP packet the interface receives.
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

func newProber(t *testing.T, n *netns, ifname string, ip netip.Addr) *prober {
	t.Helper()
	idx, mac := n.iface(t, ifname)
	p := &prober{ifindex: idx, mac: mac, ip: ip, done: make(chan struct{})}
	err := n.do(func() error {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			return err
		}
		p.fd = fd
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: idx}); err != nil {
			unix.Close(fd)
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

// ask broadcasts an ARP request for ip and returns when it was sent.
func (p *prober) ask(ip netip.Addr) (time.Time, error) {
	b := make([]byte, 42)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], p.mac)
	binary.BigEndian.PutUint16(b[12:], unix.ETH_P_ARP)
	copy(b[14:22], []byte{0, 1, 8, 0, 6, 4, 0, 1})
	copy(b[22:28], p.mac)
	src, dst := p.ip.As4(), ip.As4()
	copy(b[28:32], src[:])
	copy(b[38:42], dst[:])
	sa := &unix.SockaddrLinklayer{Ifindex: p.ifindex, Protocol: htons(unix.ETH_P_ARP), Halen: 6}
	copy(sa.Addr[:], b[0:6])
	t := time.Now()
	return t, unix.Sendto(p.fd, b, 0, sa)
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

// gratuitous returns the gratuitous ARP requests for ip (sender and target address both
// ip) from mac seen since since.
func (p *prober) gratuitous(since time.Time, ip netip.Addr, mac net.HardwareAddr) []arpFrame {
	return p.frames(since, func(f arpFrame) bool {
		return f.op == 1 && f.spa == ip && f.tpa == ip && f.sha.String() == mac.String()
	})
}

// countReplies asks n times, 50ms apart, and counts the replies per sender MAC.
func (p *prober) countReplies(t *testing.T, ip netip.Addr, n int) map[string]int {
	t.Helper()
	start := time.Now()
	for range n {
		if _, err := p.ask(ip); err != nil {
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
		if _, err := p.ask(ip); err != nil {
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

// rtt asks once and returns how long the first reply for ip took (up to 1 s).
func (p *prober) rtt(ip netip.Addr) (time.Duration, error) {
	sent, err := p.ask(ip)
	if err != nil {
		return 0, err
	}
	for time.Since(sent) < time.Second {
		if rs := p.replies(sent, ip); len(rs) > 0 {
			return rs[0].at.Sub(sent), nil
		}
		time.Sleep(time.Millisecond)
	}
	return 0, errors.New("no reply within 1s")
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
