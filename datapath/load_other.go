//go:build !linux

package datapath

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/cilium/ebpf"
)

// kernel is empty off Linux: nothing is ever loaded.
type kernel struct{}

// errNotLinux returns the error of operation op off Linux; it wraps errors.ErrUnsupported.
func errNotLinux(op string) error {
	return fmt.Errorf("datapath: %s needs Linux, not %s: %w", op, runtime.GOOS, errors.ErrUnsupported)
}

// Load needs Linux: off Linux it validates opts (an error wrapping ErrInvalidOptions when
// a field is out of range) and returns an error wrapping errors.ErrUnsupported.
func Load(opts *Options) (*Datapath, error) {
	if _, err := opts.withDefaults(); err != nil {
		return nil, err
	}
	return nil, errNotLinux("load")
}

// Close does nothing off Linux.
func (d *Datapath) Close() error { return nil }

// XDPProgram returns nil off Linux.
func (d *Datapath) XDPProgram() *ebpf.Program { return nil }

// TCIngressProgram returns nil off Linux.
func (d *Datapath) TCIngressProgram() *ebpf.Program { return nil }

// TCEgressProgram returns nil off Linux.
func (d *Datapath) TCEgressProgram() *ebpf.Program { return nil }
