package datapath

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// SetEgressNodeIP tells the egress programs this node's IPv4 address (the node IP other
// nodes use as gateway IP in their egress entries): EgressSteerProgram passes traffic of
// entries naming it to the stack instead of redirecting it, and EgressSNATProgram SNATs
// only the traffic of such entries. Until it is called (or after a call with the zero
// Addr, which clears it) the node is nobody's gateway. With Options.PinDir the setting
// is pinned with the maps and survives a restart.
func (d *Datapath) SetEgressNodeIP(ip netip.Addr) error {
	var c egwCfg
	switch {
	case ip.Is4():
		c.NodeIp = addrBE(ip)
	case ip.IsValid():
		return fmt.Errorf("%w: egress node IP %v is not IPv4", ErrUnsupported, ip)
	}
	if err := d.egw.CikEgwCfg.Update(uint32(0), c, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("%w: set egress node IP %v: %w", ErrMap, ip, err)
	}
	return nil
}

// EgressNodeIP returns the address set with SetEgressNodeIP, or the zero Addr when none is.
func (d *Datapath) EgressNodeIP() (netip.Addr, error) {
	var c egwCfg
	if err := d.egw.CikEgwCfg.Lookup(uint32(0), &c); err != nil {
		return netip.Addr{}, fmt.Errorf("%w: read egress node IP: %w", ErrMap, err)
	}
	if c.NodeIp == 0 {
		return netip.Addr{}, nil
	}
	return addrFromBE(c.NodeIp), nil
}

// EgressCounters reads the egress programs' packet counters, summed over CPUs.
func (d *Datapath) EgressCounters() (EgressCounters, error) {
	var sums [egressCounterCount]uint64
	for i := range sums {
		var per []uint64
		if err := d.egw.CikEgwStats.Lookup(uint32(i), &per); err != nil {
			return EgressCounters{}, fmt.Errorf("%w: read egress counter %d: %w", ErrMap, i, err)
		}
		for _, v := range per {
			sums[i] += v
		}
	}
	return egressCountersOf(sums), nil
}

// monotonicNow returns CLOCK_MONOTONIC in nanoseconds, the clock of bpf_ktime_get_ns.
func monotonicNow() (uint64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, fmt.Errorf("datapath: read CLOCK_MONOTONIC: %w", err)
	}
	return uint64(ts.Nano()), nil
}

// readNAT reads the connection table.
func (d *Datapath) readNAT() (map[natKey]natVal, error) {
	out := map[natKey]natVal{}
	err := batchRead(d.egw.CikEgwNat, func(k *natKey, v *natVal) { out[*k] = *v })
	if err != nil {
		return nil, fmt.Errorf("%w: read egress connection table: %w", ErrMap, err)
	}
	return out, nil
}

// EgressConnections reads this gateway's connection table: one EgressConnection per flow
// SNATed here, in no particular order. The table is an LRU hash of
// Options.MaxEgressConnections entries (two per flow); a flow leaves it when evicted or
// pruned (PruneEgressConnections), never by itself.
func (d *Datapath) EgressConnections() ([]EgressConnection, error) {
	all, err := d.readNAT()
	if err != nil {
		return nil, err
	}
	now, err := monotonicNow()
	if err != nil {
		return nil, err
	}
	var out []EgressConnection
	for k, v := range all {
		if k.Dir != natFwd {
			continue
		}
		rk := natKey{Saddr: k.Daddr, Daddr: v.Addr, Sport: k.Dport, Dport: v.Port, Proto: k.Proto, Dir: natRev}
		var rev *natVal
		if r, ok := all[rk]; ok && r.Addr == k.Saddr && r.Port == k.Sport {
			rev = &r
		}
		out = append(out, natConnection(k, v, rev, now))
	}
	return out, nil
}

// PruneEgressConnections deletes the connection table entries (each direction of a flow
// on its own) whose latest packet is older than idle (> 0), and returns how many it
// deleted. A pruned flow that sends again gets its entries back, with the same port when
// it is still free. An agent calls it periodically, for example every minute with the
// longest idle time it wants to keep (the kernel's TCP established timeout is 5 days,
// UDP 2 minutes); without it entries leave only when the LRU table is full.
func (d *Datapath) PruneEgressConnections(idle time.Duration) (int, error) {
	if idle <= 0 {
		return 0, fmt.Errorf("%w: prune egress connections idle for %v: want > 0", ErrUnsupported, idle)
	}
	all, err := d.readNAT()
	if err != nil {
		return 0, err
	}
	now, err := monotonicNow()
	if err != nil {
		return 0, err
	}
	var dels []natKey
	for k, v := range all {
		if since(now, v.LastSeen) > idle {
			dels = append(dels, k)
		}
	}
	n := 0
	for _, k := range dels {
		err := d.egw.CikEgwNat.Delete(k)
		if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return n, fmt.Errorf("%w: delete egress connection entry %v: %w", ErrMap, k, err)
		}
		if err == nil {
			n++
		}
	}
	return n, nil
}

// EgressSteerProgram returns the TC program for the interfaces pod traffic enters a node
// by (HookEgressSteer): traffic of a matched egress entry goes to its gateway node as the
// next hop; excluded CIDRs and this node's own entries pass; gateway 0.0.0.0 drops.
func (d *Datapath) EgressSteerProgram() *ebpf.Program { return d.egw.CikEgwSteer }

// EgressSNATProgram returns the TC egress program of a node's uplink (HookEgressSNAT):
// flows of entries naming this node leave with the egress IP; packets of entries naming
// another gateway pass only when this node steered them (EgressSteerMark), else they
// are dropped.
func (d *Datapath) EgressSNATProgram() *ebpf.Program { return d.egw.CikEgwSnat }

// EgressRevSNATProgram returns the TC ingress program of a gateway's uplink
// (HookEgressRevSNAT): replies to an egress IP get their pod's address back.
func (d *Datapath) EgressRevSNATProgram() *ebpf.Program { return d.egw.CikEgwRevsnat }
