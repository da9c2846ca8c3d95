//go:build !linux

package datapath

import "github.com/ciliumkit/ciliumkit/mesh/lb"

// Service needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) Service(fe lb.Frontend) (ServiceEntry, error) {
	return ServiceEntry{}, errNotLinux("read service")
}

// Frontends needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) Frontends() ([]lb.Frontend, error) {
	return nil, errNotLinux("read frontends")
}
