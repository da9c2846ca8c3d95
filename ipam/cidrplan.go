package ipam

import (
	"fmt"
	"net/netip"
)

// Pools are the address pools a CIDR planner carves cluster ranges from. Each list may mix
// IPv4 and IPv6 prefixes; order matters, because blocks are taken from the first pool (of
// the requested family) that has room.
type Pools struct {
	// Pods are the pools for per-cluster pod CIDRs (Cilium cluster-pool IPAM).
	Pods []netip.Prefix `json:"pods,omitempty"`
	// Services are the pools for per-cluster service CIDRs (kube-apiserver
	// --service-cluster-ip-range).
	Services []netip.Prefix `json:"services,omitempty"`
}

// ValidateCIDR checks that p is a valid, canonical prefix (no host bits set). IPv4-mapped
// IPv6 prefixes are refused, since they would alias IPv4 ranges.
func ValidateCIDR(p netip.Prefix) error {
	switch {
	case !p.IsValid():
		return fmt.Errorf("%w %q", ErrInvalidCIDR, p)
	case p.Addr().Is4In6():
		return fmt.Errorf("%w %s: IPv4-mapped IPv6 prefixes are not supported, use the IPv4 form", ErrInvalidCIDR, p)
	case p.Addr().Zone() != "":
		return fmt.Errorf("%w %s: zoned addresses are not prefixes", ErrInvalidCIDR, p)
	case p.Masked() != p:
		return fmt.Errorf("%w %s: host bits set, did you mean %s", ErrInvalidCIDR, p, p.Masked())
	}
	return nil
}
