package main

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The lab's addresses; all live inside the lab's network namespaces.
var (
	podIP     = netip.MustParseAddr("10.245.1.7")      // the seed's mediabot pod, on k8s-w1
	podCIDR   = netip.MustParsePrefix("10.245.1.0/24") // k8s-w1's pod range
	routerIP  = netip.MustParseAddr("192.168.10.1")
	w1IP      = netip.MustParseAddr("192.168.10.11")  // k8s-w1, the worker
	w2IP      = netip.MustParseAddr("192.168.10.21")  // k8s-w2, a gateway
	w3IP      = netip.MustParseAddr("192.168.10.22")  // k8s-w3, a gateway
	egressW2  = netip.MustParseAddr("192.168.10.240") // the seed's egress IP, on k8s-w2
	egressW3  = netip.MustParseAddr("192.168.10.241") // k8s-w3's egress IP
	extHost   = netip.MustParseAddr("192.168.20.100") // the seed's destination
	exclHost  = netip.MustParseAddr("192.168.30.100") // in an excluded CIDR
	blackHost = netip.MustParseAddr("192.168.40.100") // behind a policy without a gateway node
)

// netns is a named network namespace (ip netns), deleted when the test ends.
type netns struct{ name string }

var labSeq atomic.Int32

func newNetns(t testing.TB, role string) *netns {
	t.Helper()
	n := &netns{name: fmt.Sprintf("cik-egw-%d-%d-%s", os.Getpid(), labSeq.Add(1), role)}
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name).Run() })
	n.ip(t, "link", "set", "lo", "up")
	return n
}

// ip runs ip(8) in the namespace.
func (n *netns) ip(t testing.TB, args ...string) {
	t.Helper()
	run(t, append([]string{"ip", "-n", n.name}, args...)...)
}

// sysctl sets keys (k=v) in the namespace.
func (n *netns) sysctl(t testing.TB, kv ...string) {
	t.Helper()
	run(t, append([]string{"ip", "netns", "exec", n.name, "sysctl", "-qw"}, kv...)...)
}

func run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
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

// lab is the test network: a pod on worker k8s-w1, gateways k8s-w2 and k8s-w3, and an
// external router/server host, all on the node LAN 192.168.10.0/24 (a bridge in the
// external namespace). The external host owns the destinations and routes the worker's
// pod range back to it (native routing), as do the gateways.
type lab struct {
	pod, w1, w2, w3, ext *netns
	// seen records the source of every connection the external servers accepted, per
	// destination address.
	mu   sync.Mutex
	seen map[netip.Addr][]netip.AddrPort
}

func newLab(t testing.TB) *lab {
	t.Helper()
	l := &lab{seen: map[netip.Addr][]netip.AddrPort{}}
	l.pod, l.w1, l.w2, l.w3, l.ext = newNetns(t, "pod"), newNetns(t, "w1"), newNetns(t, "w2"), newNetns(t, "w3"), newNetns(t, "ext")

	// The pod's veth: eth0 in the pod, pod0 on the worker.
	run(t, "ip", "link", "add", "eth0", "netns", l.pod.name, "type", "veth", "peer", "name", "pod0", "netns", l.w1.name)
	l.pod.ip(t, "addr", "add", podIP.String()+"/24", "dev", "eth0")
	l.pod.ip(t, "link", "set", "eth0", "up")
	l.pod.ip(t, "route", "add", "default", "via", "10.245.1.1")
	l.w1.ip(t, "addr", "add", "10.245.1.1/24", "dev", "pod0")
	l.w1.ip(t, "link", "set", "pod0", "up")

	// The LAN.
	l.ext.ip(t, "link", "add", "br0", "type", "bridge")
	l.ext.ip(t, "addr", "add", routerIP.String()+"/24", "dev", "br0")
	l.ext.ip(t, "link", "set", "br0", "up")
	for _, h := range []netip.Addr{extHost, exclHost, blackHost} {
		l.ext.ip(t, "addr", "add", h.String()+"/32", "dev", "lo")
	}
	l.ext.ip(t, "route", "add", podCIDR.String(), "via", w1IP.String())
	for i, n := range []struct {
		ns     *netns
		ip     netip.Addr
		egress netip.Addr
	}{{l.w1, w1IP, netip.Addr{}}, {l.w2, w2IP, egressW2}, {l.w3, w3IP, egressW3}} {
		port := fmt.Sprintf("lan%d", i+1)
		n.ns.sysctl(t, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.send_redirects=0",
			"net.ipv4.conf.default.send_redirects=0", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
		run(t, "ip", "link", "add", "eth0", "netns", n.ns.name, "type", "veth", "peer", "name", port, "netns", l.ext.name)
		l.ext.ip(t, "link", "set", port, "master", "br0", "up")
		n.ns.ip(t, "addr", "add", n.ip.String()+"/24", "dev", "eth0")
		if n.egress.IsValid() {
			// A gateway owns its egress IP, as the seed's egress-ip-assign pod does.
			n.ns.ip(t, "addr", "add", n.egress.String()+"/24", "dev", "eth0")
		}
		n.ns.ip(t, "link", "set", "eth0", "up")
		n.ns.ip(t, "route", "add", "default", "via", routerIP.String())
		if n.egress.IsValid() {
			n.ns.ip(t, "route", "add", podCIDR.String(), "via", w1IP.String())
		}
	}

	// The external servers: on port 80 each answers with the source it sees and closes;
	// on port 7 it echoes.
	for _, h := range []netip.Addr{extHost, exclHost, blackHost} {
		for _, port := range []uint16{80, 7} {
			var ln net.Listener
			err := l.ext.do(func() (err error) {
				ln, err = net.Listen("tcp", netip.AddrPortFrom(h, port).String())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			go l.serve(ln, h, port == 7)
		}
	}
	return l
}

func (l *lab) serve(ln net.Listener, dst netip.Addr, echo bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			src := netip.MustParseAddrPort(c.RemoteAddr().String())
			if echo {
				buf := make([]byte, 64)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}
			l.mu.Lock()
			l.seen[dst] = append(l.seen[dst], src)
			l.mu.Unlock()
			fmt.Fprintln(c, src)
		}()
	}
}

// seenFrom returns the sources the server on dst saw, in order.
func (l *lab) seenFrom(dst netip.Addr) []netip.AddrPort {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen[dst])
}

// dial connects from the pod to dst.
func (l *lab) dial(dst netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := l.pod.do(func() (err error) {
		c, err = net.DialTimeout("tcp", dst.String(), timeout)
		return err
	})
	return c, err
}

// whoami makes one TCP exchange from the pod with dst's port 80 and returns the source
// address the server saw; the exchange must complete within timeout.
func (l *lab) whoami(dst netip.Addr, timeout time.Duration) (netip.AddrPort, error) {
	c, err := l.dial(netip.AddrPortFrom(dst, 80), timeout)
	if err != nil {
		return netip.AddrPort{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("read from %v: %w", dst, err)
	}
	return netip.ParseAddrPort(strings.TrimSpace(line))
}
