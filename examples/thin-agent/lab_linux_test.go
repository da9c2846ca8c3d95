package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netns is a named network namespace (ip netns), deleted when the test ends.
type netns struct{ name string }

var labSeq atomic.Int32

func newNetns(t testing.TB, role string) *netns {
	t.Helper()
	n := &netns{name: fmt.Sprintf("cik-ta-%d-%d-%s", os.Getpid(), labSeq.Add(1), role)}
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name).Run() })
	n.ip(t, "link", "set", "lo", "up")
	return n
}

func (n *netns) ip(t testing.TB, args ...string) {
	t.Helper()
	run(t, append([]string{"ip", "-n", n.name}, args...)...)
}

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

// dial connects from inside the namespace.
func (n *netns) dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	err := n.do(func() (err error) {
		c, err = net.DialTimeout(network, addr, timeout)
		return err
	})
	return c, err
}

// httpClient is an HTTP client whose connections are made inside the namespace.
func (n *netns) httpClient() *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: func(_ context.Context, network, addr string) (net.Conn, error) {
			return n.dial(network, addr, 5*time.Second)
		}}}
}

// forward listens on 127.0.0.1 inside the namespace and relays every connection to
// target, a loopback address of the test's own namespace: it makes the test's real etcd
// and kube-apiserver reachable from the agent's namespace without giving that namespace
// a route out. TLS passes through untouched (the certificates cover 127.0.0.1). It
// returns the address to use inside the namespace.
func (n *netns) forward(t testing.TB, target string) string {
	t.Helper()
	var ln net.Listener
	if err := n.do(func() (err error) { ln, err = net.Listen("tcp", "127.0.0.1:0"); return err }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			wg.Go(func() { io.Copy(out, in); out.(*net.TCPConn).CloseWrite() })
			wg.Go(func() { io.Copy(in, out); in.(*net.TCPConn).CloseWrite() })
		}
	})
	return ln.Addr().String()
}

// backendServer listens on addr inside the namespace. Each connection gets one line
// "<name> <client address>" and then an echo of whatever it sends.
func (n *netns) backendServer(t testing.TB, name string, addr netip.AddrPort) {
	t.Helper()
	n.serve(t, addr, func(c net.Conn) {
		fmt.Fprintf(c, "%s %s\n", name, c.RemoteAddr())
		io.Copy(c, c)
	})
}

// echoServer listens on addr inside the namespace and echoes every connection's bytes.
func (n *netns) echoServer(t testing.TB, addr netip.AddrPort) {
	t.Helper()
	n.serve(t, addr, func(c net.Conn) { io.Copy(c, c) })
}

// serve listens on addr inside the namespace until the test ends and runs handle on each
// connection, closing it afterwards.
func (n *netns) serve(t testing.TB, addr netip.AddrPort, handle func(net.Conn)) {
	t.Helper()
	var ln net.Listener
	if err := n.do(func() (err error) { ln, err = net.Listen("tcp", addr.String()); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// flow is one TCP connection from the client to a service, with the backend that
// greeted it.
type flow struct {
	conn    net.Conn
	r       *bufio.Reader
	backend string
	local   netip.AddrPort
}

// connect opens a TCP connection from the namespace to dst and reads the greeting.
func (n *netns) connect(dst netip.AddrPort, timeout time.Duration) (*flow, error) {
	c, err := n.dial("tcp", dst.String(), timeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting from %v: %w", dst, err)
	}
	name, seen, _ := strings.Cut(strings.TrimSpace(line), " ")
	local := netip.MustParseAddrPort(c.LocalAddr().String())
	if seen != local.String() {
		c.Close()
		return nil, fmt.Errorf("backend %s saw client %s, want %s", name, seen, local)
	}
	c.SetDeadline(time.Time{})
	return &flow{conn: c, r: r, backend: name, local: local}, nil
}

// echo sends one line on the flow and checks that it comes back within timeout.
func (f *flow) echo(msg string, timeout time.Duration) error {
	f.conn.SetDeadline(time.Now().Add(timeout))
	defer f.conn.SetDeadline(time.Time{})
	if _, err := fmt.Fprintln(f.conn, msg); err != nil {
		return err
	}
	line, err := f.r.ReadString('\n')
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(line); got != msg {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	return nil
}
