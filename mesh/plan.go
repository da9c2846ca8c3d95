package mesh

import (
	"net/netip"
	"slices"
)

// Plan is a validated mesh: every cluster with its ID, ranges, node mask sizes, capacity
// and identity range. It is immutable: accessors return copies. Make one with NewPlan or
// ParsePlan.
type Plan struct {
	maxConnected int
	clusters     []ClusterPlan
	index        map[string]int
	warnings     []error
}

// ClusterPlan is one cluster of a Plan.
type ClusterPlan struct {
	// Cluster is the name and ID.
	Cluster
	// NodeCIDRs are the node (VPC) ranges from the spec.
	NodeCIDRs []netip.Prefix
	// PodCIDRs are the cluster-pool pod ranges: those kept from the previous plan, then
	// those the spec pins, then assigned ones (IPv4 before IPv6).
	PodCIDRs []netip.Prefix
	// ServiceCIDRs are the service ranges, ordered like PodCIDRs; empty when the spec
	// has no service pool and the cluster pins none.
	ServiceCIDRs []netip.Prefix
	// NodeMaskSize is the IPv4 per-node pod CIDR length in bits (clusterPoolIPv4MaskSize),
	// 0 when the cluster has no IPv4 pod range.
	NodeMaskSize int
	// NodeMaskSizeV6 is the IPv6 per-node pod CIDR length in bits, 0 without IPv6.
	NodeMaskSizeV6 int
	// Capacity is what the ranges hold.
	Capacity Capacity
	// Identities is the security identity range the cluster owns.
	Identities IdentityRange
}

func (c ClusterPlan) clone() ClusterPlan {
	c.NodeCIDRs = slices.Clone(c.NodeCIDRs)
	c.PodCIDRs = slices.Clone(c.PodCIDRs)
	c.ServiceCIDRs = slices.Clone(c.ServiceCIDRs)
	return c
}

// PodCIDRsOf returns the pod ranges of one family (ipv6 false: IPv4).
func (c ClusterPlan) PodCIDRsOf(ipv6 bool) []netip.Prefix { return ofFamily(c.PodCIDRs, ipv6) }

// ServiceCIDRsOf returns the service ranges of one family (ipv6 false: IPv4).
func (c ClusterPlan) ServiceCIDRsOf(ipv6 bool) []netip.Prefix {
	return ofFamily(c.ServiceCIDRs, ipv6)
}

func ofFamily(ps []netip.Prefix, ipv6 bool) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is6() == ipv6 {
			out = append(out, p)
		}
	}
	return out
}

// MaxConnectedClusters returns the mesh's maxConnectedClusters, 255 or 511.
func (p *Plan) MaxConnectedClusters() int { return p.maxConnected }

// Clusters returns every cluster in spec order (a copy).
func (p *Plan) Clusters() []ClusterPlan {
	out := make([]ClusterPlan, len(p.clusters))
	for i, c := range p.clusters {
		out[i] = c.clone()
	}
	return out
}

// Cluster returns the named cluster (a copy) and whether the plan has it.
func (p *Plan) Cluster(name string) (ClusterPlan, bool) {
	i, ok := p.index[name]
	if !ok {
		return ClusterPlan{}, false
	}
	return p.clusters[i].clone(), true
}

// Warnings returns the allowed problems the plan has: service ranges shared by clusters,
// each an *OverlapError wrapping ErrServiceCIDROverlap (one per range however many
// clusters share it, and one per pair of different overlapping ranges), at most
// MaxReportedProblems of them and then a *MoreProblemsError counting the rest.
func (p *Plan) Warnings() []error { return slices.Clone(p.warnings) }

// Spec returns a spec that pins everything the plan assigned: planning it again, with or
// without this plan as the previous one, gives the same plan.
func (p *Plan) Spec() Spec {
	s := Spec{MaxConnectedClusters: p.maxConnected, Clusters: make([]ClusterSpec, len(p.clusters))}
	for i, c := range p.clusters {
		s.Clusters[i] = ClusterSpec{
			Name:           c.Name,
			ID:             c.ID,
			NodeCIDRs:      slices.Clone(c.NodeCIDRs),
			PodCIDRs:       slices.Clone(c.PodCIDRs),
			ServiceCIDRs:   slices.Clone(c.ServiceCIDRs),
			NodeMaskSize:   c.NodeMaskSize,
			NodeMaskSizeV6: c.NodeMaskSizeV6,
		}
	}
	return s
}
