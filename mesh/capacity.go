package mesh

import (
	"math"
	"net/netip"
)

// Capacity is what a cluster's ranges hold. Counts saturate at math.MaxInt.
type Capacity struct {
	// MaxNodesIPv4 is how many IPv4 node pod CIDRs (of NodeMaskSize) the IPv4 pod ranges
	// hold; 0 without IPv4.
	MaxNodesIPv4 int
	// MaxNodesIPv6 is the same for IPv6; 0 without IPv6.
	MaxNodesIPv6 int
	// MaxNodes is the number of nodes the cluster can run: the smaller family's count in
	// dual stack, since every node needs a range of each family.
	MaxNodes int
	// PodAddrsPerNodeIPv4 is the number of addresses in one node's IPv4 pod CIDR,
	// 2^(32-NodeMaskSize). Cilium also takes the router (cilium_host) address, and the
	// health address when health checking is on, from it. 0 without IPv4.
	PodAddrsPerNodeIPv4 int
	// PodAddrsPerNodeIPv6 is the same for IPv6, 2^(128-NodeMaskSizeV6).
	PodAddrsPerNodeIPv6 int
	// Identities is the number of security identities the cluster owns: 65536 with
	// maxConnectedClusters 255, 32768 with 511 (identity 0 of the range included).
	Identities int
}

// pow2 returns 2^n, saturating at math.MaxInt; 0 for negative n.
func pow2(n int) int {
	switch {
	case n < 0:
		return 0
	case n >= 63:
		return math.MaxInt
	}
	return 1 << n
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// nodeCapacity returns how many node CIDRs of length mask the prefixes of family f
// (0 IPv4, 1 IPv6) hold.
func nodeCapacity(ps []netip.Prefix, f, mask int) int {
	n := 0
	for _, p := range ps {
		if fam(p) == f && mask >= p.Bits() {
			n = satAdd(n, pow2(mask-p.Bits()))
		}
	}
	return n
}

// podPrefixForNodes returns the longest pod CIDR length with 2^(mask-prefix) >= maxNodes.
func podPrefixForNodes(maxNodes, mask int) int {
	k := 0
	for pow2(k) < maxNodes {
		k++
	}
	return mask - k
}

func capacityOf(c *ClusterPlan, maxConnected int) Capacity {
	var cp Capacity
	if c.NodeMaskSize > 0 {
		cp.MaxNodesIPv4 = nodeCapacity(c.PodCIDRs, 0, c.NodeMaskSize)
		cp.PodAddrsPerNodeIPv4 = pow2(32 - c.NodeMaskSize)
	}
	if c.NodeMaskSizeV6 > 0 {
		cp.MaxNodesIPv6 = nodeCapacity(c.PodCIDRs, 1, c.NodeMaskSizeV6)
		cp.PodAddrsPerNodeIPv6 = pow2(128 - c.NodeMaskSizeV6)
	}
	switch {
	case cp.MaxNodesIPv4 > 0 && cp.MaxNodesIPv6 > 0:
		cp.MaxNodes = min(cp.MaxNodesIPv4, cp.MaxNodesIPv6)
	default:
		cp.MaxNodes = max(cp.MaxNodesIPv4, cp.MaxNodesIPv6)
	}
	if shift, err := ClusterIDShift(maxConnected); err == nil {
		cp.Identities = 1 << shift
	}
	return cp
}
