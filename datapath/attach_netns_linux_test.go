package datapath

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"golang.org/x/sys/unix"
)

// nsThread is an OS thread in a network namespace of its own (loopback up) that runs
// functions for a test. Stopping it returns the thread to the test's namespace, so the
// kernel destroys the private one (nothing else refers to it).
type nsThread struct {
	t    *testing.T
	fns  chan func()
	done chan struct{}
}

func newNSThread(t *testing.T) *nsThread {
	t.Helper()
	n := &nsThread{t: t, fns: make(chan func()), done: make(chan struct{})}
	ready := make(chan error)
	go func() {
		defer close(n.done)
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ready <- err
			return
		}
		defer unix.Close(orig)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ready <- err
			return
		}
		// Back to the original namespace when done, also after a t.FailNow in a function
		// (else the thread stays locked and ends with the goroutine).
		defer func() {
			if unix.Setns(orig, unix.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			}
		}()
		if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			ready <- fmt.Errorf("ip link set lo up: %v: %s", err, out)
			return
		}
		ready <- nil
		for f := range n.fns {
			f()
		}
	}()
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.stop)
	return n
}

// run runs f on the namespace's thread and waits for it. When f calls t.FailNow (which
// ends the thread), the test stops too.
func (n *nsThread) run(f func()) {
	n.t.Helper()
	done := make(chan struct{})
	select {
	case n.fns <- func() { defer close(done); f() }:
		<-done
	case <-n.done:
	}
	select {
	case <-n.done:
		n.t.FailNow()
	default:
	}
}

// stop ends the thread (and so the namespace); it may be called more than once.
func (n *nsThread) stop() {
	select {
	case <-n.done:
	default:
		close(n.fns)
		<-n.done
	}
}

// shOut runs a command in the calling thread's namespace and returns its output.
func shOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
	return string(out)
}

// xdpProgOnLo returns the `ip link show lo` line of the XDP program attached to lo in the
// calling thread's namespace, "" without one.
func xdpProgOnLo(t *testing.T) string {
	for _, l := range strings.Split(shOut(t, "ip", "-d", "link", "show", "lo"), "\n") {
		if strings.Contains(l, "prog/xdp") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func progID(t *testing.T, p *ebpf.Program) ebpf.ProgramID {
	t.Helper()
	info, err := p.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, _ := info.ID()
	return id
}

func linkPins(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), linkPinPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// waitDetached waits until the link pinned at pin no longer has an interface.
func waitDetached(t *testing.T, pin string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		l, err := link.LoadPinnedLink(pin, nil)
		if err != nil {
			t.Fatalf("load %s: %v", pin, err)
		}
		idx, err := linkIfindex(l)
		l.Close()
		if err != nil {
			t.Fatal(err)
		}
		if idx == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("link %s still attached to ifindex %d", pin, idx)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPinnedLinksAcrossNamespaces: two network namespaces share one pin directory. Each
// gets its own pinned link on its loopback (ifindex 1 in both), a restarted agent finds
// its own, a namespace that is gone leaves a detached link that neither blocks another
// namespace nor survives PruneLinks, and a pin whose interface was deleted is replaced.
func TestPinnedLinksAcrossNamespaces(t *testing.T) {
	testenv.RequirePrivileged(t)
	dir := bpffs(t)
	opts := &Options{PinDir: dir, MaglevTableSize: 251, MaxServices: 16, MaxBackends: 16}
	d1, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	want1 := fmt.Sprintf("id %d ", progID(t, d1.XDPProgram()))
	a, b := newNSThread(t), newNSThread(t)
	attach := func(ns *nsThread, d *Datapath, h Hook, ifindex int) (err error) {
		ns.run(func() {
			var l link.Link
			if l, err = d.Attach(h, ifindex); err == nil {
				l.Close()
			}
		})
		return err
	}

	if err := attach(a, d1, HookXDP, 1); err != nil {
		t.Fatal(err)
	}
	a.run(func() {
		if l := xdpProgOnLo(t); !strings.Contains(l, want1) {
			t.Errorf("namespace A: lo runs %q, want program %s", l, want1)
		}
	})
	if err := attach(b, d1, HookXDP, 1); err != nil {
		t.Fatal(err)
	}
	b.run(func() {
		if l := xdpProgOnLo(t); !strings.Contains(l, want1) {
			t.Errorf("namespace B: lo runs %q after Attach, want program %s", l, want1)
		}
	})
	pins := linkPins(t, dir)
	if len(pins) != 2 {
		t.Fatalf("pins after attaching in two namespaces: %v, want one per namespace", pins)
	}

	// A restarted agent in B swaps its program into B's link; A keeps the old one.
	d2, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	want2 := fmt.Sprintf("id %d ", progID(t, d2.XDPProgram()))
	if err := attach(b, d2, HookXDP, 1); err != nil {
		t.Fatal(err)
	}
	b.run(func() {
		if l := xdpProgOnLo(t); !strings.Contains(l, want2) {
			t.Errorf("namespace B after restart: lo runs %q, want program %s", l, want2)
		}
	})
	a.run(func() {
		if l := xdpProgOnLo(t); !strings.Contains(l, want1) {
			t.Errorf("namespace A after B's restart: lo runs %q, want program %s", l, want1)
		}
	})
	if got := linkPins(t, dir); !slices.Equal(got, pins) {
		t.Fatalf("pins after the restart: %v, want %v", got, pins)
	}

	// A's namespace goes away: its link detaches, B and a new namespace C still attach.
	var pinA string
	a.run(func() {
		ns, err := netnsID()
		if err != nil {
			t.Error(err)
		}
		pinA = d1.linkPin(HookXDP, ns, 1)
	})
	a.stop()
	waitDetached(t, pinA)
	if err := attach(b, d2, HookXDP, 1); err != nil {
		t.Fatalf("attach in B once A is gone: %v", err)
	}
	c := newNSThread(t)
	if err := attach(c, d2, HookXDP, 1); err != nil {
		t.Fatalf("attach in a new namespace once A is gone: %v", err)
	}
	c.run(func() {
		if l := xdpProgOnLo(t); !strings.Contains(l, want2) {
			t.Errorf("namespace C: lo runs %q, want program %s", l, want2)
		}
	})
	removed, err := d2.PruneLinks()
	if err != nil || !slices.Equal(removed, []string{filepath.Base(pinA)}) {
		t.Fatalf("PruneLinks = %v, %v; want only A's pin %s", removed, err, filepath.Base(pinA))
	}
	if len(linkPins(t, dir)) != 2 {
		t.Fatalf("pins after pruning: %v, want B's and C's", linkPins(t, dir))
	}

	// In B, a TCX link on an interface (a veth) that is deleted is replaced when an interface with
	// the same ifindex comes back; a missing interface is refused before anything changes.
	veth := fmt.Sprintf("cikv%d", os.Getpid()%100000)
	b.run(func() {
		shOut(t, "ip", "link", "add", veth, "type", "veth", "peer", "name", veth+"p")
		shOut(t, "ip", "link", "set", veth, "up")
	})
	var idx int
	var pinD string
	b.run(func() {
		ifi, err := net.InterfaceByName(veth)
		if err != nil {
			t.Fatal(err)
		}
		idx = ifi.Index
		ns, _ := netnsID()
		pinD = d2.linkPin(HookTCIngress, ns, idx)
	})
	if err := attach(b, d2, HookTCIngress, idx); err != nil {
		t.Fatal(err)
	}
	b.run(func() { shOut(t, "ip", "link", "del", veth) })
	waitDetached(t, pinD)
	var cerr error
	b.run(func() { cerr = d2.CheckAttach(HookTCIngress, idx) })
	if !errors.Is(cerr, ErrNotFound) {
		t.Fatalf("CheckAttach to a deleted interface = %v, want ErrNotFound", cerr)
	}
	if err := attach(b, d2, HookTCIngress, idx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Attach to a deleted interface = %v, want ErrNotFound", err)
	}
	b.run(func() {
		shOut(t, "ip", "link", "add", veth, "index", fmt.Sprint(idx), "type", "veth", "peer", "name", veth+"p")
	})
	b.run(func() { cerr = d2.CheckAttach(HookTCIngress, idx) })
	if cerr != nil {
		t.Fatalf("CheckAttach with a detached pin = %v, want nil (Attach replaces it)", cerr)
	}
	if err := attach(b, d2, HookTCIngress, idx); err != nil {
		t.Fatalf("Attach over a detached pin: %v", err)
	}
	b.run(func() {
		res, err := link.QueryPrograms(link.QueryOptions{Target: idx, Attach: ebpf.AttachTCXIngress})
		if err != nil {
			t.Error(err)
			return
		}
		if len(res.Programs) != 1 || res.Programs[0].ID != progID(t, d2.TCIngressProgram()) {
			t.Errorf("TCX ingress of the new %s runs %+v, want program %d", veth, res.Programs, progID(t, d2.TCIngressProgram()))
		}
	})
	for _, ns := range []*nsThread{b, c} {
		ns.run(func() {
			if err := d2.Detach(HookXDP, 1); err != nil {
				t.Error(err)
			}
			if l := xdpProgOnLo(t); l != "" {
				t.Errorf("lo still runs %q after Detach", l)
			}
		})
	}
}
