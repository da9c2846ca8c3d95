package mesh

import (
	"net/netip"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// Built-in planning defaults, used where Spec.Defaults leaves a value zero. They match the
// Cilium chart's cluster-pool defaults (node mask /24 and /120, IPv6 pod CIDR /104) and a
// /16 IPv4 pod range (256 nodes of /24) per cluster.
const (
	// DefaultPodCIDRPrefixLength is the prefix length of an assigned IPv4 pod CIDR.
	DefaultPodCIDRPrefixLength = 16
	// DefaultPodCIDRPrefixLengthV6 is the prefix length of an assigned IPv6 pod CIDR.
	DefaultPodCIDRPrefixLengthV6 = 104
	// DefaultNodeMaskSize is the IPv4 per-node pod CIDR length (clusterPoolIPv4MaskSize).
	DefaultNodeMaskSize = 24
	// DefaultNodeMaskSizeV6 is the IPv6 per-node pod CIDR length (clusterPoolIPv6MaskSize).
	DefaultNodeMaskSizeV6 = 120
	// DefaultServiceCIDRPrefixLength is the prefix length of an assigned IPv4 service CIDR.
	DefaultServiceCIDRPrefixLength = 20
	// DefaultServiceCIDRPrefixLengthV6 is the prefix length of an assigned IPv6 service CIDR.
	DefaultServiceCIDRPrefixLengthV6 = 112
)

// Spec describes a mesh to plan: its maxConnectedClusters, the pools that missing ranges
// come from, sizing defaults and the clusters in order. The zero value of every field but
// Clusters is usable. Its JSON/YAML form is the meshplan spec file (see ParseSpec).
type Spec struct {
	// MaxConnectedClusters is 255 or 511 for the whole mesh; 0 means 255.
	MaxConnectedClusters int `json:"maxConnectedClusters,omitempty"`
	// Pools are where missing pod and service CIDRs are taken from, in order. Service
	// pools are optional: without one, no service ranges are planned (only pod CIDRs must
	// be unique across a ClusterMesh; service CIDRs may overlap), and a cluster has the
	// service ranges it pins, or none.
	Pools ipam.Pools `json:"pools,omitzero"`
	// Defaults size the ranges the planner assigns.
	Defaults Defaults `json:"defaults,omitzero"`
	// Clusters are the mesh members. Their order decides who gets the lowest free ID and
	// the first free ranges.
	Clusters []ClusterSpec `json:"clusters"`
}

// Defaults size what the planner assigns. A zero field means the matching Default*
// constant. Prefix lengths are in bits: 1-32 for IPv4 fields, 1-128 for IPv6 fields.
type Defaults struct {
	// PodCIDRPrefixLength sizes an assigned IPv4 pod CIDR of a cluster without MaxNodes
	// (default 16).
	PodCIDRPrefixLength int `json:"podCIDRPrefixLength,omitempty"`
	// PodCIDRPrefixLengthV6 sizes an assigned IPv6 pod CIDR of a cluster without MaxNodes
	// (default 104).
	PodCIDRPrefixLengthV6 int `json:"podCIDRPrefixLengthV6,omitempty"`
	// NodeMaskSize is the IPv4 per-node pod CIDR length (default 24).
	NodeMaskSize int `json:"nodeMaskSize,omitempty"`
	// NodeMaskSizeV6 is the IPv6 per-node pod CIDR length (default 120).
	NodeMaskSizeV6 int `json:"nodeMaskSizeV6,omitempty"`
	// ServiceCIDRPrefixLength sizes an assigned IPv4 service CIDR (default 20).
	ServiceCIDRPrefixLength int `json:"serviceCIDRPrefixLength,omitempty"`
	// ServiceCIDRPrefixLengthV6 sizes an assigned IPv6 service CIDR (default 112).
	ServiceCIDRPrefixLengthV6 int `json:"serviceCIDRPrefixLengthV6,omitempty"`
}

// ClusterSpec is one cluster of a Spec. Only Name is required; whatever is left zero the
// planner fills in (or keeps from the previous plan).
type ClusterSpec struct {
	// Name is the Cilium cluster name, see ValidateClusterName.
	Name string `json:"name"`
	// ID pins the cluster ID (1-255, or 1-511); 0 lets the planner assign the lowest free ID.
	ID uint32 `json:"id,omitempty"`
	// NodeCIDRs are the ranges node addresses come from (the VPC or subnets). They are
	// never assigned, only checked and kept free of pod and service ranges.
	NodeCIDRs []netip.Prefix `json:"nodeCIDRs,omitempty"`
	// PodCIDRs pin the cluster-pool pod ranges. For each IP family the pod pools offer
	// and PodCIDRs lack, the planner assigns one.
	PodCIDRs []netip.Prefix `json:"podCIDRs,omitempty"`
	// ServiceCIDRs pin the service ranges (optional). For each IP family of the
	// cluster's pod ranges that ServiceCIDRs lack and the service pools offer, the
	// planner assigns one; without service pools it assigns none. Service ranges of
	// different clusters may overlap (a warning); they may not overlap node or pod
	// ranges.
	ServiceCIDRs []netip.Prefix `json:"serviceCIDRs,omitempty"`
	// MaxNodes is the number of nodes the pod ranges must hold (0 = no requirement). An
	// assigned pod CIDR is then the smallest block with 2^(nodeMask-prefix) >= MaxNodes.
	MaxNodes int `json:"maxNodes,omitempty"`
	// NodeMaskSize overrides Defaults.NodeMaskSize for this cluster (0 = default).
	NodeMaskSize int `json:"nodeMaskSize,omitempty"`
	// NodeMaskSizeV6 overrides Defaults.NodeMaskSizeV6 for this cluster (0 = default).
	NodeMaskSizeV6 int `json:"nodeMaskSizeV6,omitempty"`
}

// withDefaults returns d with every zero field set to its built-in default.
func (d Defaults) withDefaults() Defaults {
	def := func(v *int, x int) {
		if *v == 0 {
			*v = x
		}
	}
	def(&d.PodCIDRPrefixLength, DefaultPodCIDRPrefixLength)
	def(&d.PodCIDRPrefixLengthV6, DefaultPodCIDRPrefixLengthV6)
	def(&d.NodeMaskSize, DefaultNodeMaskSize)
	def(&d.NodeMaskSizeV6, DefaultNodeMaskSizeV6)
	def(&d.ServiceCIDRPrefixLength, DefaultServiceCIDRPrefixLength)
	def(&d.ServiceCIDRPrefixLengthV6, DefaultServiceCIDRPrefixLengthV6)
	return d
}
