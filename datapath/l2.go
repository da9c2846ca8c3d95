package datapath

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
)

// L2Responder is an address (an LB IP) the node answers for on one interface: while
// XDPProgram is attached to that interface it replies to ARP requests for an IPv4 IP, and
// to neighbour solicitations for an IPv6 IP (with a solicited, override advertisement
// carrying MAC as target link-layer address), with MAC.
type L2Responder struct {
	// IP is the IPv4 or IPv6 address to answer for (not IPv4-mapped, no zone).
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

// check validates r.
func (r L2Responder) check() error {
	if !r.IP.IsValid() || r.IP.Is4In6() || r.IP.Zone() != "" || r.IP.IsUnspecified() || r.IP.IsMulticast() ||
		r.Ifindex == 0 || len(r.MAC) != 6 {
		return fmt.Errorf("%w: L2 responder %v: want a unicast IPv4 or IPv6 address (not IPv4-mapped, no zone), ifindex >= 1 and a 6-byte MAC",
			ErrUnsupported, r)
	}
	return nil
}

// l2Want validates rs (at most limit distinct IP and ifindex pairs per address family)
// and returns the MAC address of each map key, by family.
func l2Want(rs []L2Responder, limit uint32) (map[l2Key][6]byte, map[l2Key6][6]byte, error) {
	want4, want6 := map[l2Key][6]byte{}, map[l2Key6][6]byte{}
	for _, r := range rs {
		if err := r.check(); err != nil {
			return nil, nil, err
		}
		if r.IP.Is4() {
			want4[l2Key{Ip: addrBE(r.IP), Ifindex: r.Ifindex}] = [6]byte(r.MAC)
		} else {
			want6[l2Key6{Ip: words6(r.IP.As16()), Ifindex: r.Ifindex}] = [6]byte(r.MAC)
		}
	}
	if len(want4) > int(limit) {
		return nil, nil, fmt.Errorf("%w: %d IPv4 L2 responders, the map holds %d", ErrCapacity, len(want4), limit)
	}
	if len(want6) > int(limit) {
		return nil, nil, fmt.Errorf("%w: %d IPv6 L2 responders, the map holds %d", ErrCapacity, len(want6), limit)
	}
	return want4, want6, nil
}

// l2Diff returns the entries to write (keys of want that have lacks or holds with another
// MAC, keeping their reply counters) and the keys of have to delete.
func l2Diff[K comparable](want map[K][6]byte, have map[K]l2Val) (add []K, vals []l2Val, del []K) {
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
