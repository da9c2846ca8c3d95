package ciliumproc

import (
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// forwarder accepts connections on ln and joins each to a connection made by dial: from the
// host's loopback into a pod's namespace, or from a pod's loopback to the host.
type forwarder struct {
	ln   net.Listener
	dial func() (net.Conn, error)

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

func newForwarder(ln net.Listener, dial func() (net.Conn, error)) *forwarder {
	f := &forwarder{ln: ln, dial: dial, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.serve()
	return f
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		f.wg.Add(1)
		go f.join(c)
	}
}

func (f *forwarder) join(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	up, err := f.dial()
	if err != nil {
		return
	}
	defer up.Close()
	if !f.track(c, up) {
		return
	}
	defer f.untrack(c, up)
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	go pipe(up, c)
	go pipe(c, up)
	wg.Wait()
}

func (f *forwarder) track(cs ...net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return false
	}
	for _, c := range cs {
		f.conns[c] = struct{}{}
	}
	return true
}

func (f *forwarder) untrack(cs ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		delete(f.conns, c)
	}
}

// close stops accepting, closes every open connection and waits for the goroutines.
func (f *forwarder) close() {
	f.ln.Close()
	f.mu.Lock()
	f.done = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// forwardIn listens on 127.0.0.1:0 of the host and forwards to 127.0.0.1:port in n.
func forwardIn(n *netns, port int) (*forwarder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	target := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return newForwarder(ln, func() (net.Conn, error) {
		var c net.Conn
		err := n.do(func() error {
			var err error
			c, err = net.DialTimeout("tcp", target, 5*time.Second)
			return err
		})
		return c, err
	}), nil
}

// forwardOut listens on addr (ip:port) inside n and forwards to target on the host.
func forwardOut(n *netns, addr, target string) (*forwarder, error) {
	var ln net.Listener
	if err := n.do(func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		return nil, err
	}
	return newForwarder(ln, func() (net.Conn, error) {
		return net.DialTimeout("tcp", target, 5*time.Second)
	}), nil
}
