package datapath

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// L2Responder is an IPv4 address (an LB IP) the node answers ARP for on one interface:
// while XDPProgram is attached to that interface it replies to ARP requests for IP with
// MAC.
type L2Responder struct {
	// IP is the IPv4 address to answer for.
	IP netip.Addr
	// Ifindex is the interface index, >= 1.
	Ifindex uint32
	// MAC is the 6-byte Ethernet address replies carry, normally the interface's.
	MAC net.HardwareAddr
	// Responses is the number of replies sent, as read back; ignored on writes.
	Responses uint64
}

// String returns "10.10.200.1 on ifindex 2 as 02:00:00:00:00:01".
func (r L2Responder) String() string {
	return fmt.Sprintf("%v on ifindex %d as %v", r.IP, r.Ifindex, r.MAC)
}

func (r L2Responder) entry() (lbL2Key, [6]byte, error) {
	if !r.IP.Is4() || r.Ifindex == 0 || len(r.MAC) != 6 {
		return lbL2Key{}, [6]byte{}, fmt.Errorf("%w: L2 responder %v: want IPv4, ifindex >= 1 and a 6-byte MAC",
			ErrUnsupported, r)
	}
	return lbL2Key{Ip: addrBE(r.IP), Ifindex: r.Ifindex}, [6]byte(r.MAC), nil
}

// SyncL2Responders makes the L2 responder map hold exactly rs (by IP and ifindex): it adds
// missing entries with a zero counter, rewrites entries whose MAC changed, keeps the rest
// (and their counters) and deletes entries not in rs. Nothing is written when an entry
// is invalid or the set exceeds Options.MaxL2Responders.
func (d *Datapath) SyncL2Responders(rs []L2Responder) (SyncStats, error) {
	want := make(map[lbL2Key][6]byte, len(rs))
	for _, r := range rs {
		k, mac, err := r.entry()
		if err != nil {
			return SyncStats{}, err
		}
		want[k] = mac
	}
	if len(want) > int(d.opts.MaxL2Responders) {
		return SyncStats{}, fmt.Errorf("%w: %d L2 responders, the map holds %d", ErrCapacity, len(want), d.opts.MaxL2Responders)
	}
	have := map[lbL2Key]lbL2Val{}
	if err := batchRead(d.objs.CikL2respV4, func(k *lbL2Key, v *lbL2Val) { have[*k] = *v }); err != nil {
		return SyncStats{}, fmt.Errorf("%w: read L2 responder map: %w", ErrMap, err)
	}
	var add, del []lbL2Key
	var vals []lbL2Val
	for k, mac := range want {
		if old, ok := have[k]; !ok || old.Mac != mac {
			add = append(add, k)
			vals = append(vals, lbL2Val{Responses: old.Responses, Mac: mac})
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			del = append(del, k)
		}
	}
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
	err := batchRead(d.objs.CikL2respV4, func(k *lbL2Key, v *lbL2Val) {
		out = append(out, L2Responder{IP: addrFromBE(k.Ip), Ifindex: k.Ifindex,
			MAC: net.HardwareAddr(v.Mac[:]), Responses: v.Responses})
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
