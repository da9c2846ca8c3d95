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
// gateways is not modified.
func SelectGateway(uid string, gateways []Gateway) (Gateway, error) {
	switch len(gateways) {
	case 0:
		return Gateway{}, fmt.Errorf("%w: endpoint %q", ErrNoGateways, uid)
	case 1:
		return gateways[0], nil
	}
	return pick(uid, sortedByIP(gateways)), nil
}

// sortedByIP returns a copy of gateways sorted by IP, as Cilium orders them.
func sortedByIP(gateways []Gateway) []Gateway {
	sorted := slices.Clone(gateways)
	slices.SortStableFunc(sorted, func(a, b Gateway) int { return a.IP.Compare(b.IP) })
	return sorted
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

// Entries returns the datapath entries of a policy: for each IPv4 address of each
// endpoint, one entry per destination CIDR through the endpoint's gateway, and one per
// excluded CIDR with gateway ExcludedCIDR. Without gateways, destination entries get
// NoGateway (traffic is dropped). Non-IPv4 prefixes are skipped.
func Entries(endpoints []Endpoint, destinations, excluded []netip.Prefix, gateways []Gateway) []Entry {
	var out []Entry
	// Once, not per endpoint: the gateways' order and the IPv4 prefixes, masked.
	sorted := sortedByIP(gateways)
	dst, excl := masked4(destinations), masked4(excluded)
	for _, ep := range endpoints {
		gw := Gateway{IP: NoGateway(), EgressIP: NoGateway()}
		if len(sorted) > 0 {
			gw = pick(ep.UID, sorted)
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
