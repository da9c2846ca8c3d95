package datapath

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Attach attaches hook's program to interface ifindex (>= 1) of the calling thread's
// network namespace through a BPF link and returns it. Without Options.PinDir the
// attachment lasts while the returned link is open. With PinDir the link is pinned as
// PinDir/cik_link_<hook>_<netns>_<ifindex>, where <netns> identifies the network
// namespace (its cookie), so that agents in several namespaces can share one pin
// directory; the program keeps handling traffic after the process exits. A later Attach
// for the same hook, namespace and interface (for example after Load in a restarted
// agent) swaps this Datapath's program into the pinned link instead of attaching a
// second one. A pinned link whose interface is gone (deleted, or its namespace
// destroyed) no longer attaches anything: Attach removes such a pin and attaches anew.
// Closing the returned link then only releases the Go object; Detach removes the
// attachment.
//
// Attach checks the target first (CheckAttach) and fails, changing nothing, when the
// interface does not exist in the namespace. Programs that also write the maps should
// call CheckAttach before Sync so that nothing is written for a target that cannot be
// attached.
func (d *Datapath) Attach(h Hook, ifindex int) (link.Link, error) {
	runtime.LockOSThread() // the namespace of the ID, the checks and the attach must agree
	defer runtime.UnlockOSThread()
	t, err := d.attachTarget(h, ifindex)
	if err != nil {
		return nil, err
	}
	if t.pinned != nil {
		if err := t.pinned.Update(t.prog); err != nil {
			t.pinned.Close()
			return nil, fmt.Errorf("datapath: update pinned %v link on ifindex %d (%s): %w", h, ifindex, t.pin, err)
		}
		return t.pinned, nil
	}
	if t.stale != "" {
		if err := os.Remove(t.stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("datapath: remove detached %v link pin %s: %w", h, t.stale, err)
		}
	}
	var l link.Link
	switch h {
	case HookXDP:
		l, err = link.AttachXDP(link.XDPOptions{Program: t.prog, Interface: ifindex})
	case HookTCIngress, HookEgressSteer, HookEgressRevSNAT:
		l, err = link.AttachTCX(link.TCXOptions{Program: t.prog, Interface: ifindex, Attach: ebpf.AttachTCXIngress})
	case HookTCEgress, HookEgressSNAT:
		l, err = link.AttachTCX(link.TCXOptions{Program: t.prog, Interface: ifindex, Attach: ebpf.AttachTCXEgress})
	}
	if err != nil {
		if old := d.legacyLinkPin(h, ifindex); old != "" {
			if _, serr := os.Stat(old); serr == nil {
				return nil, fmt.Errorf("datapath: attach %v to ifindex %d (%s): %w (a link pinned by an earlier version at %s may hold the interface: remove that pin)", h, ifindex, t.ifname, err, old)
			}
		}
		return nil, fmt.Errorf("datapath: attach %v to ifindex %d (%s): %w", h, ifindex, t.ifname, err)
	}
	if t.pin != "" {
		if err := l.Pin(t.pin); err != nil {
			l.Close()
			return nil, fmt.Errorf("datapath: pin %v link on ifindex %d at %s: %w", h, ifindex, t.pin, err)
		}
	}
	return l, nil
}

// CheckAttach reports whether Attach(h, ifindex) can succeed in the calling thread's
// network namespace, without changing anything: the hook is known, interface ifindex
// exists in the namespace, and a link pinned for it (with PinDir) can be read. A pinned
// link whose interface is gone is no obstacle (Attach replaces it). The error wraps
// ErrUnsupported for an unknown hook or an ifindex below 1 and ErrNotFound for an
// interface that does not exist.
func (d *Datapath) CheckAttach(h Hook, ifindex int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t, err := d.attachTarget(h, ifindex)
	if t.pinned != nil {
		t.pinned.Close()
	}
	return err
}

// target is what Attach works on: the program, the interface and the pin.
type target struct {
	prog   *ebpf.Program
	ifname string
	pin    string    // where the link is (to be) pinned, "" without PinDir
	pinned link.Link // the live link pinned at pin, or nil
	stale  string    // a pin at pin whose link is detached, to replace
}

// attachTarget validates an attach of h to ifindex and reads its pin. The caller holds
// its OS thread.
func (d *Datapath) attachTarget(h Hook, ifindex int) (target, error) {
	var t target
	if ifindex < 1 {
		return t, fmt.Errorf("%w: attach %v to ifindex %d", ErrUnsupported, h, ifindex)
	}
	if t.prog = d.programFor(h); t.prog == nil {
		return t, fmt.Errorf("%w: unknown hook %v", ErrUnsupported, h)
	}
	ifi, err := net.InterfaceByIndex(ifindex)
	if err != nil {
		return t, fmt.Errorf("%w: attach %v: no interface with ifindex %d in this network namespace: %w", ErrNotFound, h, ifindex, err)
	}
	t.ifname = ifi.Name
	if d.opts.PinDir == "" {
		return t, nil
	}
	ns, err := netnsID()
	if err != nil {
		return t, err
	}
	t.pin = d.linkPin(h, ns, ifindex)
	l, err := link.LoadPinnedLink(t.pin, nil)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return t, fmt.Errorf("datapath: load pinned %v link %s: %w", h, t.pin, err)
	}
	idx, err := linkIfindex(l)
	if err != nil {
		l.Close()
		return t, fmt.Errorf("datapath: pinned %v link %s: %w", h, t.pin, err)
	}
	switch idx {
	case uint32(ifindex):
		t.pinned = l
	case 0: // the interface it was attached to is gone
		l.Close()
		t.stale = t.pin
	default:
		l.Close()
		return t, fmt.Errorf("datapath: pinned %v link %s is attached to ifindex %d, not %d", h, t.pin, idx, ifindex)
	}
	return t, nil
}

// linkIfindex returns the ifindex an XDP or TCX link is attached to, 0 when its interface
// is gone (the link is defunct).
func linkIfindex(l link.Link) (uint32, error) {
	info, err := l.Info()
	if err != nil {
		return 0, err
	}
	if x := info.XDP(); x != nil {
		return x.Ifindex, nil
	}
	if x := info.TCX(); x != nil {
		return x.Ifindex, nil
	}
	return 0, fmt.Errorf("link type %v is neither XDP nor TCX", info.Type)
}

// Detach removes the pinned link of hook on ifindex of the calling thread's network
// namespace, detaching the program. It returns ErrNotFound when no such link is pinned
// (or no PinDir is set: unpinned links detach when closed).
func (d *Datapath) Detach(h Hook, ifindex int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if d.opts.PinDir == "" {
		return fmt.Errorf("%w: %v link on ifindex %d: no PinDir", ErrNotFound, h, ifindex)
	}
	ns, err := netnsID()
	if err != nil {
		return err
	}
	pin := d.linkPin(h, ns, ifindex)
	l, err := link.LoadPinnedLink(pin, nil)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %v link on ifindex %d (%s)", ErrNotFound, h, ifindex, pin)
	}
	if err != nil {
		return fmt.Errorf("datapath: load pinned %v link %s: %w", h, pin, err)
	}
	defer l.Close()
	if err := l.Unpin(); err != nil {
		return fmt.Errorf("datapath: unpin %v link %s: %w", h, pin, err)
	}
	return nil
}

// PruneLinks removes, from PinDir, every pinned link whose interface is gone: links of
// deleted interfaces or of network namespaces that no longer exist (in any namespace:
// such a link attaches nothing), and links pinned under the names of earlier versions
// (cik_link_<hook>_<ifindex>) once detached. Live links are left alone. It returns the
// names of the removed pins, and ErrNotFound without PinDir.
func (d *Datapath) PruneLinks() ([]string, error) {
	if d.opts.PinDir == "" {
		return nil, fmt.Errorf("%w: prune links: no PinDir", ErrNotFound)
	}
	ents, err := os.ReadDir(d.opts.PinDir)
	if err != nil {
		return nil, fmt.Errorf("datapath: prune links: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), linkPinPrefix) {
			continue
		}
		p := filepath.Join(d.opts.PinDir, e.Name())
		l, err := link.LoadPinnedLink(p, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("datapath: load pinned link %s: %w", p, err))
			continue
		}
		idx, err := linkIfindex(l)
		l.Close()
		if err != nil || idx != 0 {
			continue
		}
		if err := os.Remove(p); err != nil {
			errs = append(errs, fmt.Errorf("datapath: remove detached link pin %s: %w", p, err))
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// programFor returns the program of hook h, or nil.
func (d *Datapath) programFor(h Hook) *ebpf.Program {
	switch h {
	case HookXDP:
		return d.objs.CikXdpLb
	case HookTCIngress:
		return d.objs.CikTcLb
	case HookTCEgress:
		return d.objs.CikTcRevnat
	case HookEgressSteer:
		return d.egw.CikEgwSteer
	case HookEgressSNAT:
		return d.egw.CikEgwSnat
	case HookEgressRevSNAT:
		return d.egw.CikEgwRevsnat
	}
	return nil
}
