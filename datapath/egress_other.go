//go:build !linux

package datapath

import (
	"net/netip"

	"github.com/ciliumkit/ciliumkit/egress"
)

// SyncEgress needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) SyncEgress(entries []egress.Entry) (SyncStats, error) {
	return SyncStats{}, errNotLinux("sync egress")
}

// EgressEntries needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) EgressEntries() ([]egress.Entry, error) {
	return nil, errNotLinux("read egress entries")
}

// LookupEgress needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) LookupEgress(src, dst netip.Addr) (egress.Entry, bool, error) {
	return egress.Entry{}, false, errNotLinux("look up egress")
}
