package egress

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
)

// Gateway is one gateway node of a policy.
type Gateway struct {
	// IP is the gateway node's IPv4 address, where traffic is redirected to.
	IP netip.Addr
	// EgressIP is the address the gateway SNATs traffic to.
	EgressIP netip.Addr
	// Down marks a gateway that cannot carry traffic (its node is not ready, its agent
	// stopped, or no node matches its selector). The zero value (false) is up. Down
	// gateways keep their place in the IP order, so the endpoints of the gateways that
	// are up keep their gateway; only the endpoints Cilium assigns to a down gateway move,
	// to the gateway at FNV-32a(uid) mod M among the M gateways that are up. Cilium
	// itself has no such failover: it keeps a gateway without a node in the set, and its
	// endpoints' traffic is dropped.
	Down bool
}

// Endpoint is a pod selected by a policy.
type Endpoint struct {
	// UID is the endpoint's UID (the CiliumEndpoint's, i.e. the pod's, UID); it picks the
	// endpoint's gateway when there are several.
	UID string
	// IPs are the endpoint's addresses; IPv6 addresses are ignored.
	IPs []netip.Addr
}

// SelectGateway returns the gateway of an endpoint as Cilium picks it: gateways sorted by
// IP, the endpoint's gateway at index FNV-32a(uid) mod N; with one gateway, that one.
// When that gateway is Down, the endpoint's gateway is picked the same way among the
// gateways that are up (see Gateway.Down). It returns an error wrapping ErrNoGateways
// when gateways is empty or every gateway is down. gateways is not modified.
func SelectGateway(uid string, gateways []Gateway) (Gateway, error) {
	if len(gateways) == 0 {
		return Gateway{}, fmt.Errorf("%w: endpoint %q", ErrNoGateways, uid)
	}
	sorted := sortedByIP(gateways)
	gw, ok := pickUp(uid, sorted, upOf(sorted))
	if !ok {
		return Gateway{}, fmt.Errorf("%w up: endpoint %q, %d gateways down", ErrNoGateways, uid, len(gateways))
	}
	return gw, nil
}

// sortedByIP returns a copy of gateways sorted by IP, as Cilium orders them.
func sortedByIP(gateways []Gateway) []Gateway {
	sorted := slices.Clone(gateways)
	slices.SortStableFunc(sorted, func(a, b Gateway) int { return a.IP.Compare(b.IP) })
	return sorted
}

// upOf returns the gateways of sorted that are up, in order.
func upOf(sorted []Gateway) []Gateway {
	up := make([]Gateway, 0, len(sorted))
	for _, g := range sorted {
		if !g.Down {
			up = append(up, g)
		}
	}
	return up
}

// pick returns the gateway of endpoint uid among sorted (at least one gateway, sorted by
// IP): the one at index FNV-32a(uid) mod N.
func pick(uid string, sorted []Gateway) Gateway {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := fnv.New32a()
	h.Write([]byte(uid))
	return sorted[h.Sum32()%uint32(len(sorted))]
}

// pickUp returns the gateway of endpoint uid among sorted (sorted by IP), of which up
// are the gateways that are up: Cilium's pick, or when that one is down, the pick among
// up; false when none is up.
func pickUp(uid string, sorted, up []Gateway) (Gateway, bool) {
	if len(up) == 0 {
		return Gateway{}, false
	}
	if g := pick(uid, sorted); !g.Down {
		return g, true
	}
	return pick(uid, up), true
}

// Entries returns the datapath entries of a policy: for each IPv4 address of each
// endpoint, one entry per destination CIDR through the endpoint's gateway (as
// SelectGateway picks it), and one per excluded CIDR with gateway ExcludedCIDR. Without
// gateways, or when every gateway is Down, destination entries get NoGateway (traffic is
// dropped). Non-IPv4 prefixes are skipped.
func Entries(endpoints []Endpoint, destinations, excluded []netip.Prefix, gateways []Gateway) []Entry {
	var out []Entry
	// Once, not per endpoint: the gateways' order and the IPv4 prefixes, masked.
	sorted := sortedByIP(gateways)
	up := upOf(sorted)
	dst, excl := masked4(destinations), masked4(excluded)
	for _, ep := range endpoints {
		gw, ok := pickUp(ep.UID, sorted, up)
		if !ok {
			gw = Gateway{IP: NoGateway(), EgressIP: NoGateway()}
		}
		for _, ip := range ep.IPs {
			if !ip.Is4() {
				continue
			}
			for _, d := range dst {
				out = append(out, Entry{Source: ip, Destination: d, EgressIP: gw.EgressIP, GatewayIP: gw.IP})
			}
			for _, d := range excl {
				out = append(out, Entry{Source: ip, Destination: d, EgressIP: NoGateway(), GatewayIP: ExcludedCIDR()})
			}
		}
	}
	return out
}

// masked4 returns the IPv4 prefixes of ps, masked, in order.
func masked4(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out
}
