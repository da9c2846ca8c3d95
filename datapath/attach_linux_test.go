package datapath

import (
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
	"golang.org/x/sys/unix"
)

// inNewNetns moves the test goroutine's thread into a new network namespace with
// loopback up and the given addresses on it. The thread is never unlocked, so it is
// discarded with the namespace when the test returns.
func inNewNetns(t *testing.T, addrs ...string) {
	t.Helper()
	runtime.LockOSThread()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare network namespace: %v", err)
	}
	cmds := [][]string{{"ip", "link", "set", "lo", "up"}}
	for _, a := range addrs {
		cmds = append(cmds, []string{"ip", "addr", "add", a, "dev", "lo"})
	}
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", c, err, out)
		}
	}
}

// exchange sends a datagram to the frontend from a connected socket and reports whether
// the echo came back from the frontend's address (so through the reverse NAT).
func exchange(t *testing.T, fe netip.AddrPort) error {
	t.Helper()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(fe))
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 16)
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "ping" || from != fe {
		return errors.New("unexpected reply " + string(buf[:n]) + " from " + from.String())
	}
	return nil
}

func TestAttachedTrafficSurvivesRestart(t *testing.T) {
	testenv.RequirePrivileged(t)
	dir := bpffs(t)
	fe := netip.MustParseAddrPort("10.96.0.10:80")
	backend := netip.MustParseAddrPort("127.0.0.2:8080")
	inNewNetns(t, fe.Addr().String()+"/32")

	// The backend echoes datagrams.
	srv, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(backend))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			srv.WriteToUDPAddrPort(buf[:n], from)
		}
	}()

	const lo = 1
	opts := &Options{PinDir: dir, MaglevTableSize: 251, MaxServices: 16, MaxBackends: 16}
	svc := Service{Frontend: lb.Frontend{Addr: fe, Protocol: lb.UDP},
		Backends: []lb.SelectedBackend{{Backend: lb.Backend{Addr: backend, Protocol: lb.UDP}}}}

	// Without the programs the frontend has no listener.
	if err := exchange(t, fe); err == nil {
		t.Fatal("frontend answered before the programs were attached")
	}

	d1, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d1.UpsertService(svc); err != nil {
		t.Fatal(err)
	}
	for _, h := range []Hook{HookXDP, HookTCEgress} {
		l, err := d1.Attach(h, lo)
		if err != nil {
			t.Fatal(err)
		}
		l.Close() // pinned: stays attached
	}
	if err := exchange(t, fe); err != nil {
		t.Fatalf("through the load balancer: %v", err)
	}

	// The agent exits: its programs and maps stay, held by the pinned links and maps.
	d1.Close()
	runtime.GC()
	if err := exchange(t, fe); err != nil {
		t.Fatalf("after the agent closed its objects: %v", err)
	}

	// A new agent loads, finds the maps and swaps its programs into the pinned links.
	d2, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	for _, h := range []Hook{HookXDP, HookTCEgress} {
		l, err := d2.Attach(h, lo)
		if err != nil {
			t.Fatal(err)
		}
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		pinfo, err := d2.programFor(h).Info()
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := pinfo.ID(); info.Program != id {
			t.Errorf("%v link runs program %d, want the new agent's %d", h, info.Program, id)
		}
		l.Close()
	}
	if err := exchange(t, fe); err != nil {
		t.Fatalf("after the restart: %v", err)
	}

	for _, h := range []Hook{HookXDP, HookTCEgress} {
		if err := d2.Detach(h, lo); err != nil {
			t.Fatal(err)
		}
		if err := d2.Detach(h, lo); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second detach: %v", err)
		}
	}
	if err := exchange(t, fe); err == nil {
		t.Fatal("frontend still answered after Detach")
	}
}
