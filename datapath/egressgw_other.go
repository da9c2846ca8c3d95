//go:build !linux

package datapath

import (
	"net/netip"
	"time"

	"github.com/cilium/ebpf"
)

// SetEgressNodeIP needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) SetEgressNodeIP(ip netip.Addr) error {
	return errNotLinux("set egress node IP")
}

// EgressNodeIP needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) EgressNodeIP() (netip.Addr, error) {
	return netip.Addr{}, errNotLinux("read egress node IP")
}

// EgressCounters needs Linux: off Linux it returns an error wrapping errors.ErrUnsupported.
func (d *Datapath) EgressCounters() (EgressCounters, error) {
	return EgressCounters{}, errNotLinux("read egress counters")
}

// EgressConnections needs Linux: off Linux it returns an error wrapping
// errors.ErrUnsupported.
func (d *Datapath) EgressConnections() ([]EgressConnection, error) {
	return nil, errNotLinux("read egress connections")
}

// PruneEgressConnections needs Linux: off Linux it returns an error wrapping
// errors.ErrUnsupported.
func (d *Datapath) PruneEgressConnections(idle time.Duration) (int, error) {
	return 0, errNotLinux("prune egress connections")
}

// EgressSteerProgram returns nil off Linux.
func (d *Datapath) EgressSteerProgram() *ebpf.Program { return nil }

// EgressSNATProgram returns nil off Linux.
func (d *Datapath) EgressSNATProgram() *ebpf.Program { return nil }

// EgressRevSNATProgram returns nil off Linux.
func (d *Datapath) EgressRevSNATProgram() *ebpf.Program { return nil }
