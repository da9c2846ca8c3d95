package mesh

import (
	"errors"
	"fmt"
	"net/netip"
)

// Sentinel errors of mesh specs and plans. NewPlan joins every problem it finds (the
// first MaxReportedProblems, then a *MoreProblemsError counting the rest); each wraps one
// of these (or an identity error from errors.go, or ipam.ErrPoolExhausted /
// ipam.ErrInvalidCIDR) and names the cluster and value. Test with errors.Is.
var (
	// ErrInvalidSpec: a spec document that does not parse, is larger than MaxSpecSize,
	// holds a second document, or has unknown fields or duplicate keys (case variants
	// included).
	ErrInvalidSpec = errors.New("mesh: invalid spec")
	// ErrInvalidPlan: a plan document that does not parse, is refused like a spec (see
	// ErrInvalidSpec), or does not plan again.
	ErrInvalidPlan = errors.New("mesh: invalid plan")
	// ErrNoClusters: a spec without clusters.
	ErrNoClusters = errors.New("mesh: spec has no clusters")
	// ErrDuplicateClusterName: two clusters with the same name.
	ErrDuplicateClusterName = errors.New("mesh: duplicate cluster name")
	// ErrDuplicateClusterID: two clusters with the same ID.
	ErrDuplicateClusterID = errors.New("mesh: duplicate cluster ID")
	// ErrNoFreeClusterID: more clusters than maxConnectedClusters allows.
	ErrNoFreeClusterID = errors.New("mesh: no free cluster ID")
	// ErrCIDROverlap: two ranges that must be disjoint share addresses (see OverlapError).
	ErrCIDROverlap = errors.New("mesh: CIDR overlap")
	// ErrServiceCIDROverlap: service ranges of two clusters overlap. ClusterIPs are
	// cluster-local, so this is only a warning (Plan.Warnings).
	ErrServiceCIDROverlap = errors.New("mesh: service CIDRs of two clusters overlap")
	// ErrNoPodCIDR: a cluster without pod CIDRs and no pod pool to assign one from.
	ErrNoPodCIDR = errors.New("mesh: no pod CIDR")
	// ErrNoServiceCIDR: a cluster without service CIDRs in a spec whose service pools
	// offer none of its IP families. Without any service pool, service ranges are not
	// planned and this is not an error.
	ErrNoServiceCIDR = errors.New("mesh: no service CIDR")
	// ErrPodCIDRTooSmall: pod ranges that cannot hold the cluster's maxNodes node CIDRs.
	ErrPodCIDRTooSmall = errors.New("mesh: pod CIDR too small")
	// ErrInvalidNodeMaskSize: a node mask size outside its family's range, shorter than
	// a pod CIDR, or (IPv6) more than 16 bits longer than a pod CIDR, which Cilium's
	// cluster-pool allocator refuses.
	ErrInvalidNodeMaskSize = errors.New("mesh: invalid node mask size")
	// ErrInvalidPrefixLength: a default prefix length outside 1-32 (IPv4) or 1-128 (IPv6).
	ErrInvalidPrefixLength = errors.New("mesh: invalid prefix length")
	// ErrInvalidMaxNodes: a negative maxNodes.
	ErrInvalidMaxNodes = errors.New("mesh: invalid maxNodes")
	// ErrPlanChanged: the spec contradicts the previous plan (a new ID, node mask size or
	// maxConnectedClusters). Growth never renumbers.
	ErrPlanChanged = errors.New("mesh: spec changes an existing assignment")
	// ErrClusterNotPlanned: a cluster name the plan does not contain.
	ErrClusterNotPlanned = errors.New("mesh: cluster not in plan")
)

// CIDRKind names what a cluster uses a range for.
type CIDRKind string

// The kinds of cluster ranges.
const (
	// KindNodeCIDR is a range node addresses come from (VPC, subnet).
	KindNodeCIDR CIDRKind = "node"
	// KindPodCIDR is a cluster-pool pod range.
	KindPodCIDR CIDRKind = "pod"
	// KindServiceCIDR is a service ClusterIP range.
	KindServiceCIDR CIDRKind = "service"
)

// OverlapError reports two ranges that share addresses: which cluster uses each, for what,
// and the prefixes. Cluster and OtherCluster are equal when one cluster overlaps itself.
// It wraps ErrServiceCIDROverlap when both are service ranges of different clusters (a
// warning), and ErrCIDROverlap otherwise.
//
// NewPlan reports overlaps in bounded form: one OverlapError per pair of different
// ranges that overlap, and one per range that several entries hold (a cluster's node, pod
// or service range is an entry), however many hold it; Holders and HolderClusters then
// say how many. The two entries named are the first pair that may not share the range
// (or, for a warning, the first two).
type OverlapError struct {
	// Cluster is the name of the cluster listed first in the spec.
	Cluster string
	// Kind is what Cluster uses Prefix for.
	Kind CIDRKind
	// Prefix is Cluster's range.
	Prefix netip.Prefix
	// OtherCluster is the name of the other cluster (equal to Cluster for a self-overlap).
	OtherCluster string
	// OtherKind is what OtherCluster uses OtherPrefix for.
	OtherKind CIDRKind
	// OtherPrefix is OtherCluster's range.
	OtherPrefix netip.Prefix
	// Holders is, when Prefix and OtherPrefix are the same range, how many entries of
	// the spec hold it (at least 2); 0 for two different ranges.
	Holders int
	// HolderClusters is how many clusters those Holders belong to (0 with Holders 0).
	HolderClusters int
}

// Error returns one line naming both clusters (quoted, cut after MaxQuotedNameLen bytes), kinds and
// prefixes, and how many entries hold the range when more than two do.
func (e *OverlapError) Error() string {
	s := fmt.Sprintf("%v: cluster %s %s CIDR %s overlaps cluster %s %s CIDR %s",
		e.Unwrap(), quote(e.Cluster), e.Kind, e.Prefix, quote(e.OtherCluster), e.OtherKind, e.OtherPrefix)
	if e.Holders > 2 {
		clusters := "clusters"
		if e.HolderClusters == 1 {
			clusters = "cluster"
		}
		s += fmt.Sprintf(" (the same range, held by %d entries of %d %s)", e.Holders, e.HolderClusters, clusters)
	}
	return s
}

// Unwrap returns ErrServiceCIDROverlap or ErrCIDROverlap.
func (e *OverlapError) Unwrap() error {
	if e.Warning() {
		return ErrServiceCIDROverlap
	}
	return ErrCIDROverlap
}

// Warning reports whether the overlap is allowed: service ranges of different clusters.
func (e *OverlapError) Warning() bool {
	return e.Kind == KindServiceCIDR && e.OtherKind == KindServiceCIDR && e.Cluster != e.OtherCluster
}
