package datapath

import (
	"bytes"
	"fmt"
	"net"
)

// SyncL2Responders makes the L2 responder map hold exactly rs (by IP and ifindex): it adds
// missing entries with a zero counter, rewrites entries whose MAC changed, keeps the rest
// (and their counters) and deletes entries not in rs. Nothing is written when an entry
// is invalid or the set exceeds Options.MaxL2Responders.
func (d *Datapath) SyncL2Responders(rs []L2Responder) (SyncStats, error) {
	want, err := l2Want(rs, d.opts.MaxL2Responders)
	if err != nil {
		return SyncStats{}, err
	}
	have := map[l2Key]l2Val{}
	if err := batchRead(d.objs.CikL2respV4, func(k *l2Key, v *l2Val) { have[*k] = *v }); err != nil {
		return SyncStats{}, fmt.Errorf("%w: read L2 responder map: %w", ErrMap, err)
	}
	add, vals, del := l2Diff(want, have)
	var s SyncStats
	if err := batchUpdate(d.objs.CikL2respV4, "L2 responder", add, vals, &s.Syscalls); err != nil {
		return s, err
	}
	s.L2Written = len(add)
	if err := batchDelete(d.objs.CikL2respV4, "L2 responder", del, &s.Syscalls); err != nil {
		return s, err
	}
	s.L2Deleted = len(del)
	return s, nil
}

// L2Responders reads the L2 responder map back, sorted by IP then ifindex.
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
	sortL2Responders(out)
	return out, nil
}
