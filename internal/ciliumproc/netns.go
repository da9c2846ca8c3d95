package ciliumproc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// netns is a network namespace created by this process and held open by a file descriptor:
// it lives until close and every process inside it has exited. Nothing is named in
// /run/netns, so nothing is left behind if the test process dies.
type netns struct {
	f *os.File
}

// newNetns creates a network namespace with loopback up and nothing else.
func newNetns(ctx context.Context) (*netns, error) {
	var f *os.File
	err := onLockedThread(func(orig int) error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare network namespace: %w", err)
		}
		var err error
		f, err = os.Open("/proc/thread-self/ns/net")
		return err
	})
	if err != nil {
		return nil, err
	}
	n := &netns{f: f}
	if err := n.ip(ctx, nil, "link", "set", "lo", "up"); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// onLockedThread runs f on a locked OS thread and restores the thread's network namespace
// afterwards (orig is an fd of it). If it cannot be restored the thread is discarded.
func onLockedThread(f func(orig int) error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open own network namespace: %w", err)
			return
		}
		ferr := f(orig)
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it ends with this goroutine, never reused elsewhere.
			unix.Close(orig)
			errc <- fmt.Errorf("restore network namespace: %w", err)
			return
		}
		unix.Close(orig)
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// do runs f with the calling OS thread inside the namespace. Sockets f creates stay in the
// namespace. f must not start goroutines that create sockets, nor resolve names.
func (n *netns) do(f func() error) error {
	return onLockedThread(func(int) error {
		if err := unix.Setns(int(n.f.Fd()), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter network namespace: %w", err)
		}
		return f()
	})
}

// ip runs `ip args...` inside the namespace. Arguments may name other namespaces in extra
// as /proc/self/fd/4, /proc/self/fd/5, ... in order.
func (n *netns) ip(ctx context.Context, extra []*netns, args ...string) error {
	cmd := n.command(ctx, extra, "ip", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// command returns a command that runs name inside the namespace through nsenter. The
// namespace is fd 3 of the child, the namespaces in extra are fds 4, 5, ...
func (n *netns) command(ctx context.Context, extra []*netns, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--net=/proc/self/fd/3", "--", name}, args...)...)
	cmd.ExtraFiles = []*os.File{n.f}
	for _, e := range extra {
		cmd.ExtraFiles = append(cmd.ExtraFiles, e.f)
	}
	return cmd
}

func (n *netns) close() {
	if n.f != nil {
		n.f.Close()
	}
}

// link joins a and b with a veth pair named name in both namespaces, and gives a the
// address addrA and b addrB (CIDR notation, e.g. 10.250.0.1/24).
func link(ctx context.Context, a, b *netns, name, addrA, addrB string) error {
	if err := a.ip(ctx, []*netns{b}, "link", "add", name, "type", "veth", "peer", "name", name, "netns", "/proc/self/fd/4"); err != nil {
		return err
	}
	for _, s := range []struct {
		ns   *netns
		addr string
	}{{a, addrA}, {b, addrB}} {
		if err := s.ns.ip(ctx, nil, "addr", "add", s.addr, "dev", name); err != nil {
			return err
		}
		if err := s.ns.ip(ctx, nil, "link", "set", name, "up"); err != nil {
			return err
		}
	}
	return nil
}
