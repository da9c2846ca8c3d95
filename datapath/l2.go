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

func (r L2Responder) entry() (l2Key, [6]byte, error) {
	if !r.IP.Is4() || r.Ifindex == 0 || len(r.MAC) != 6 {
		return l2Key{}, [6]byte{}, fmt.Errorf("%w: L2 responder %v: want IPv4, ifindex >= 1 and a 6-byte MAC",
			ErrUnsupported, r)
	}
	return l2Key{Ip: addrBE(r.IP), Ifindex: r.Ifindex}, [6]byte(r.MAC), nil
}

// l2Want validates rs (at most limit distinct IP and ifindex pairs) and returns the MAC
// address of each map key.
func l2Want(rs []L2Responder, limit uint32) (map[l2Key][6]byte, error) {
	want := make(map[l2Key][6]byte, len(rs))
	for _, r := range rs {
		k, mac, err := r.entry()
		if err != nil {
			return nil, err
		}
		want[k] = mac
	}
	if len(want) > int(limit) {
		return nil, fmt.Errorf("%w: %d L2 responders, the map holds %d", ErrCapacity, len(want), limit)
	}
	return want, nil
}

// l2Diff returns the entries to write (keys of want that have lacks or holds with another
// MAC, keeping their reply counters) and the keys of have to delete.
func l2Diff(want map[l2Key][6]byte, have map[l2Key]l2Val) (add []l2Key, vals []l2Val, del []l2Key) {
	for k, mac := range want {
		if old, ok := have[k]; !ok || old.Mac != mac {
			add = append(add, k)
			vals = append(vals, l2Val{Responses: old.Responses, Mac: mac})
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			del = append(del, k)
		}
	}
	return add, vals, del
}

// sortL2Responders sorts rs by IP then ifindex.
func sortL2Responders(rs []L2Responder) {
	slices.SortFunc(rs, func(a, b L2Responder) int {
		if c := a.IP.Compare(b.IP); c != 0 {
			return c
		}
		return cmp.Compare(a.Ifindex, b.Ifindex)
	})
}
