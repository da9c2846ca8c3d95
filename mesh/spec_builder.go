package mesh

import (
	"net/netip"
	"slices"
)

// SpecBuilder builds a Spec step by step, for code that assembles a mesh from an
// inventory. Every method returns the builder; Spec returns a copy, so a builder can keep
// growing after a plan was made from it. The zero value is ready to use.
type SpecBuilder struct {
	spec Spec
}

// NewSpecBuilder returns an empty builder: maxConnectedClusters 255, no pools, default
// sizes, no clusters.
func NewSpecBuilder() *SpecBuilder { return &SpecBuilder{} }

// MaxConnectedClusters sets the mesh's maxConnectedClusters, 255 or 511.
func (b *SpecBuilder) MaxConnectedClusters(n int) *SpecBuilder {
	b.spec.MaxConnectedClusters = n
	return b
}

// PodPools appends pools for pod CIDRs, searched in the order added.
func (b *SpecBuilder) PodPools(pools ...netip.Prefix) *SpecBuilder {
	b.spec.Pools.Pods = append(b.spec.Pools.Pods, pools...)
	return b
}

// ServicePools appends pools for service CIDRs, searched in the order added. They are
// optional: a spec without service pools plans no service ranges.
func (b *SpecBuilder) ServicePools(pools ...netip.Prefix) *SpecBuilder {
	b.spec.Pools.Services = append(b.spec.Pools.Services, pools...)
	return b
}

// Defaults sets the sizes of assigned ranges; zero fields keep the built-in defaults.
func (b *SpecBuilder) Defaults(d Defaults) *SpecBuilder {
	b.spec.Defaults = d
	return b
}

// Cluster appends clusters, in mesh order.
func (b *SpecBuilder) Cluster(cs ...ClusterSpec) *SpecBuilder {
	for _, c := range cs {
		c.NodeCIDRs = slices.Clone(c.NodeCIDRs)
		c.PodCIDRs = slices.Clone(c.PodCIDRs)
		c.ServiceCIDRs = slices.Clone(c.ServiceCIDRs)
		b.spec.Clusters = append(b.spec.Clusters, c)
	}
	return b
}

// Spec returns a copy of the spec built so far.
func (b *SpecBuilder) Spec() Spec {
	s := b.spec
	s.Pools.Pods = slices.Clone(s.Pools.Pods)
	s.Pools.Services = slices.Clone(s.Pools.Services)
	s.Clusters = make([]ClusterSpec, 0, len(b.spec.Clusters))
	for _, c := range b.spec.Clusters {
		c.NodeCIDRs = slices.Clone(c.NodeCIDRs)
		c.PodCIDRs = slices.Clone(c.PodCIDRs)
		c.ServiceCIDRs = slices.Clone(c.ServiceCIDRs)
		s.Clusters = append(s.Clusters, c)
	}
	return s
}

// Plan plans the spec built so far; see NewPlan.
func (b *SpecBuilder) Plan(opts *PlanOptions) (*Plan, error) { return NewPlan(b.Spec(), opts) }
