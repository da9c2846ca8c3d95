//go:build !linux

package datapath

import "github.com/cilium/ebpf/link"

// Attach needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) Attach(h Hook, ifindex int) (link.Link, error) {
	return nil, errNotLinux("attach " + h.String())
}

// Detach needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) Detach(h Hook, ifindex int) error {
	return errNotLinux("detach " + h.String())
}

// CheckAttach needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) CheckAttach(h Hook, ifindex int) error {
	return errNotLinux("check attach " + h.String())
}

// PruneLinks needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) PruneLinks() ([]string, error) {
	return nil, errNotLinux("prune links")
}
