//go:build !linux

package datapath

import "github.com/ciliumkit/ciliumkit/mesh/lb"

// UpsertService needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) UpsertService(s Service) (SyncStats, error) {
	return SyncStats{}, errNotLinux("upsert service")
}

// DeleteService needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) DeleteService(fe lb.Frontend) (SyncStats, error) {
	return SyncStats{}, errNotLinux("delete service")
}

// Sync needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) Sync(desired []Service) (SyncStats, error) {
	return SyncStats{}, errNotLinux("sync")
}
