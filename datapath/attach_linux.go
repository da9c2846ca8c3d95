package datapath

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Attach attaches hook's program to interface ifindex (>= 1) through a BPF link and
// returns it. Without Options.PinDir the attachment lasts while the returned link is
// open. With PinDir the link is pinned as PinDir/cik_link_<hook>_<ifindex>, so the
// program keeps handling traffic after the process exits; a later Attach for the same
// hook and interface (for example after Load in a restarted agent) swaps this
// Datapath's program into the pinned link instead of attaching a second one. Closing the
// returned link then only releases the Go object; Detach removes the attachment.
func (d *Datapath) Attach(h Hook, ifindex int) (link.Link, error) {
	if ifindex < 1 {
		return nil, fmt.Errorf("%w: attach %v to ifindex %d", ErrUnsupported, h, ifindex)
	}
	prog := d.programFor(h)
	if prog == nil {
		return nil, fmt.Errorf("%w: unknown hook %v", ErrUnsupported, h)
	}
	pin := d.linkPin(h, ifindex)
	if pin != "" {
		l, err := link.LoadPinnedLink(pin, nil)
		if err == nil {
			if err := l.Update(prog); err != nil {
				l.Close()
				return nil, fmt.Errorf("datapath: update pinned %v link on ifindex %d: %w", h, ifindex, err)
			}
			return l, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("datapath: load pinned %v link %s: %w", h, pin, err)
		}
	}
	var l link.Link
	var err error
	switch h {
	case HookXDP:
		l, err = link.AttachXDP(link.XDPOptions{Program: prog, Interface: ifindex})
	case HookTCIngress, HookEgressSteer, HookEgressRevSNAT:
		l, err = link.AttachTCX(link.TCXOptions{Program: prog, Interface: ifindex, Attach: ebpf.AttachTCXIngress})
	case HookTCEgress, HookEgressSNAT:
		l, err = link.AttachTCX(link.TCXOptions{Program: prog, Interface: ifindex, Attach: ebpf.AttachTCXEgress})
	}
	if err != nil {
		return nil, fmt.Errorf("datapath: attach %v to ifindex %d: %w", h, ifindex, err)
	}
	if pin != "" {
		if err := l.Pin(pin); err != nil {
			l.Close()
			return nil, fmt.Errorf("datapath: pin %v link on ifindex %d at %s: %w", h, ifindex, pin, err)
		}
	}
	return l, nil
}

// Detach removes the pinned link of hook on ifindex, detaching the program. It returns
// ErrNotFound when no such link is pinned (or no PinDir is set: unpinned links detach
// when closed).
func (d *Datapath) Detach(h Hook, ifindex int) error {
	pin := d.linkPin(h, ifindex)
	if pin == "" {
		return fmt.Errorf("%w: %v link on ifindex %d: no PinDir", ErrNotFound, h, ifindex)
	}
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
