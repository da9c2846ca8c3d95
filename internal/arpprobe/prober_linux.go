//go:build linux

package arpprobe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// pollInterval is how long a read on the socket blocks before the reader checks whether
// Close was called; it bounds how long Close takes.
const pollInterval = 100 * time.Millisecond

// Prober sends ARP requests from one interface and records every ARP packet the
// interface receives (not the ones it sends). Its methods are safe for concurrent use.
type Prober struct {
	fd      int
	ifindex int
	mac     net.HardwareAddr
	ip      netip.Addr
	stop    atomic.Bool
	done    chan struct{}
	closed  sync.Once

	mu   sync.Mutex
	seen []Frame
}

// New opens an AF_PACKET socket for ARP on the interface with index ifindex in the
// calling thread's network namespace and starts recording what it receives. mac (6
// bytes) and ip (IPv4) are the interface's addresses, used as the sender of every
// request. Close releases the socket.
func New(ifindex int, mac net.HardwareAddr, ip netip.Addr) (*Prober, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("arpprobe: MAC %q of interface %d: want 6 bytes", mac, ifindex)
	}
	if !ip.Is4() {
		return nil, fmt.Errorf("arpprobe: sender address %s: want IPv4", ip)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		return nil, fmt.Errorf("arpprobe: AF_PACKET socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifindex}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("arpprobe: bind to interface %d: %w", ifindex, err)
	}
	tv := unix.NsecToTimeval(pollInterval.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("arpprobe: receive timeout: %w", err)
	}
	p := &Prober{fd: fd, ifindex: ifindex, mac: mac, ip: ip, done: make(chan struct{})}
	go p.read()
	return p, nil
}

// Close stops recording and closes the socket; it returns within about 100 ms.
// Calling it again does nothing.
func (p *Prober) Close() error {
	var err error
	p.closed.Do(func() {
		p.stop.Store(true)
		<-p.done
		err = unix.Close(p.fd)
	})
	return err
}

func (p *Prober) read() {
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
		if f, ok := Parse(buf[:n]); ok {
			f.At = time.Now()
			p.mu.Lock()
			p.seen = append(p.seen, f)
			p.mu.Unlock()
		}
	}
}

// Ask broadcasts an ARP request for ip and returns when it was sent.
func (p *Prober) Ask(ip netip.Addr) (time.Time, error) {
	b := request(p.mac, p.ip, ip)
	sa := &unix.SockaddrLinklayer{Ifindex: p.ifindex, Protocol: htons(unix.ETH_P_ARP), Halen: 6}
	copy(sa.Addr[:], b[0:6])
	sent := time.Now()
	if err := unix.Sendto(p.fd, b, 0, sa); err != nil {
		return sent, fmt.Errorf("arpprobe: send ARP request for %s: %w", ip, err)
	}
	return sent, nil
}

// Frames returns the frames received at or after since that match keep, oldest first.
func (p *Prober) Frames(since time.Time, keep func(Frame) bool) []Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Frame
	for _, f := range p.seen {
		if !f.At.Before(since) && keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// Replies returns the ARP replies for ip addressed to this Prober's IP received at or
// after since.
func (p *Prober) Replies(since time.Time, ip netip.Addr) []Frame {
	return p.Frames(since, func(f Frame) bool { return f.Op == OpReply && f.SPA == ip && f.TPA == p.ip })
}

// Gratuitous returns the gratuitous ARP requests for ip (sender and target address both
// ip) from mac received at or after since.
func (p *Prober) Gratuitous(since time.Time, ip netip.Addr, mac net.HardwareAddr) []Frame {
	return p.Frames(since, func(f Frame) bool {
		return f.Op == OpRequest && f.SPA == ip && f.TPA == ip && f.SHA.String() == mac.String()
	})
}

// CountReplies asks n times, 50 ms apart, waits another 200 ms and returns the number of
// replies for ip per sender MAC (in net.HardwareAddr.String form). It takes about
// n×50 ms + 200 ms.
func (p *Prober) CountReplies(ip netip.Addr, n int) (map[string]int, error) {
	start := time.Now()
	for range n {
		if _, err := p.Ask(ip); err != nil {
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	counts := map[string]int{}
	for _, f := range p.Replies(start, ip) {
		counts[f.SHA.String()]++
	}
	return counts, nil
}

// FirstReplyFrom asks for ip every 50 ms until mac answers, and returns when the first
// reply from mac received at or after since arrived; it gives up with an error after
// timeout.
func (p *Prober) FirstReplyFrom(ip netip.Addr, mac net.HardwareAddr, since time.Time, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := p.Ask(ip); err != nil {
			return time.Time{}, err
		}
		time.Sleep(50 * time.Millisecond)
		for _, f := range p.Replies(since, ip) {
			if f.SHA.String() == mac.String() {
				return f.At, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("arpprobe: no ARP reply for %s from %s within %v", ip, mac, timeout)
}

// RTT asks for ip once and returns how long the first reply took, polling every 1 ms;
// it gives up with an error after 1 s.
func (p *Prober) RTT(ip netip.Addr) (time.Duration, error) {
	sent, err := p.Ask(ip)
	if err != nil {
		return 0, err
	}
	for time.Since(sent) < time.Second {
		if rs := p.Replies(sent, ip); len(rs) > 0 {
			return rs[0].At.Sub(sent), nil
		}
		time.Sleep(time.Millisecond)
	}
	return 0, errors.New("arpprobe: no ARP reply for " + ip.String() + " within 1s")
}

// htons converts v to network byte order, as AF_PACKET protocol numbers are given.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
