package datapath

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// L2Responder is an IPv4 address (an LB IP) the node answers ARP for on one interface.
type L2Responder struct {
	// IP is the IPv4 address to answer for.
	IP netip.Addr
	// Ifindex is the interface index, >= 1.
	Ifindex uint32
	// Responses is the number of replies sent, as read back; ignored on writes.
	Responses uint64
}

func (r L2Responder) key() (lbL2Key, error) {
	if !r.IP.Is4() || r.Ifindex == 0 {
		return lbL2Key{}, fmt.Errorf("%w: L2 responder %v on ifindex %d: want IPv4 and ifindex >= 1", ErrUnsupported, r.IP, r.Ifindex)
	}
	return lbL2Key{Ip: addrBE(r.IP), Ifindex: r.Ifindex}, nil
}

// SyncL2Responders makes the L2 responder map hold exactly rs (by IP and ifindex): it adds
// missing entries with a zero counter, keeps existing ones (and their counters) and
// deletes the rest. Nothing is written when an entry is invalid or the set exceeds
// Options.MaxL2Responders.
func (d *Datapath) SyncL2Responders(rs []L2Responder) (SyncStats, error) {
	want := make(map[lbL2Key]struct{}, len(rs))
	for _, r := range rs {
		k, err := r.key()
		if err != nil {
			return SyncStats{}, err
		}
		want[k] = struct{}{}
	}
	if len(want) > int(d.opts.MaxL2Responders) {
		return SyncStats{}, fmt.Errorf("%w: %d L2 responders, the map holds %d", ErrCapacity, len(want), d.opts.MaxL2Responders)
	}
	have := map[lbL2Key]struct{}{}
	if err := batchRead(d.objs.CikL2respV4, func(k *lbL2Key, _ *lbL2Val) { have[*k] = struct{}{} }); err != nil {
		return SyncStats{}, fmt.Errorf("%w: read L2 responder map: %w", ErrMap, err)
	}
	var add, del []lbL2Key
	for k := range want {
		if _, ok := have[k]; !ok {
			add = append(add, k)
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			del = append(del, k)
		}
	}
	var s SyncStats
	if err := batchUpdate(d.objs.CikL2respV4, "L2 responder", add, make([]lbL2Val, len(add)), &s.Syscalls); err != nil {
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
	err := batchRead(d.objs.CikL2respV4, func(k *lbL2Key, v *lbL2Val) {
		out = append(out, L2Responder{IP: addrFromBE(k.Ip), Ifindex: k.Ifindex, Responses: v.Responses})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read L2 responder map: %w", ErrMap, err)
	}
	slices.SortFunc(out, func(a, b L2Responder) int {
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		return cmp.Compare(a.Ifindex, b.Ifindex)
	})
	return out, nil
}
