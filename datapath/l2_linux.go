package datapath

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"

	"github.com/cilium/ebpf"
)

// SyncL2Responders makes the L2 responder maps hold exactly rs (by IP and ifindex): it
// adds missing entries with a zero counter, rewrites entries whose MAC changed, keeps the
// rest (and their counters) and deletes entries not in rs. Nothing is written when an
// entry is invalid or the set exceeds Options.MaxL2Responders (per address family).
func (d *Datapath) SyncL2Responders(rs []L2Responder) (SyncStats, error) {
	want4, want6, err := l2Want(rs, d.opts.MaxL2Responders)
	if err != nil {
		return SyncStats{}, err
	}
	have4, have6 := map[l2Key]l2Val{}, map[l2Key6]l2Val{}
	if err := batchRead(d.objs.CikL2respV4, func(k *l2Key, v *l2Val) { have4[*k] = *v }); err != nil {
		return SyncStats{}, fmt.Errorf("%w: read L2 responder map: %w", ErrMap, err)
	}
	if err := batchRead(d.objs.CikL2respV6, func(k *l2Key6, v *l2Val) { have6[*k] = *v }); err != nil {
		return SyncStats{}, fmt.Errorf("%w: read IPv6 L2 responder map: %w", ErrMap, err)
	}
	var s SyncStats
	if err := syncL2(d.objs.CikL2respV4, "L2 responder", want4, have4, &s); err != nil {
		return s, err
	}
	return s, syncL2(d.objs.CikL2respV6, "IPv6 L2 responder", want6, have6, &s)
}

// syncL2 writes the difference between want and have to m.
func syncL2[K comparable](m *ebpf.Map, name string, want map[K][6]byte, have map[K]l2Val, s *SyncStats) error {
	add, vals, del := l2Diff(want, have)
	if err := batchUpdate(m, name, add, vals, &s.Syscalls); err != nil {
		return err
	}
	s.L2Written += len(add)
	if err := batchDelete(m, name, del, &s.Syscalls); err != nil {
		return err
	}
	s.L2Deleted += len(del)
	return nil
}

// L2Responders reads the L2 responder maps back, sorted by IP then ifindex.
func (d *Datapath) L2Responders() ([]L2Responder, error) {
	var out []L2Responder
	// batchRead reuses its buffers: the MAC is copied out of them.
	err := batchRead(d.objs.CikL2respV4, func(k *l2Key, v *l2Val) {
		out = append(out, L2Responder{IP: addrFromBE(k.Ip), Ifindex: k.Ifindex,
			MAC: net.HardwareAddr(bytes.Clone(v.Mac[:])), Responses: v.Responses})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read L2 responder map: %w", ErrMap, err)
	}
	err = batchRead(d.objs.CikL2respV6, func(k *l2Key6, v *l2Val) {
		out = append(out, L2Responder{IP: netip.AddrFrom16(bytes6(k.Ip)), Ifindex: k.Ifindex,
			MAC: net.HardwareAddr(bytes.Clone(v.Mac[:])), Responses: v.Responses})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read IPv6 L2 responder map: %w", ErrMap, err)
	}
	sortL2Responders(out)
	return out, nil
}
