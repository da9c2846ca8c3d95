package mesh

import (
	"net/netip"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// PlanOptions are optional planning inputs; nil means none.
type PlanOptions struct {
	// Previous is the plan this one grows from. Every cluster of Previous that the spec
	// still lists (by name) keeps its ID, pod and service ranges and node mask sizes; a
	// spec that pins another ID or node mask size is an error (ErrPlanChanged), and ranges
	// it pins are added to the kept ones. Clusters the spec no longer lists are dropped
	// and their IDs and ranges become free.
	Previous *Plan
}

// NewPlan plans a mesh. It is pure and deterministic: it pins what the spec fixes, keeps
// what opts.Previous assigned, assigns missing cluster IDs (the lowest free, in spec
// order) and missing pod CIDRs and, when the spec has service pools, service CIDRs (the
// first free aligned block, in pool order, never touching a range any cluster pins or was
// given), sizing pod CIDRs from MaxNodes when it is set. Without service pools no service
// range is assigned: a cluster keeps the ones it pins, or has none.
//
// It returns the plan, or every problem at once joined with errors.Join (see the Err*
// variables and OverlapError), one line each. The report is bounded: overlaps are folded
// as OverlapError describes, names are quoted cut after MaxQuotedNameLen bytes, and after
// MaxReportedProblems problems a final *MoreProblemsError counts the rest. Warnings are
// on the plan, bounded the same way. The cost grows as O(n log n) in the number of
// clusters, ranges and pools.
func NewPlan(spec Spec, opts *PlanOptions) (*Plan, error) {
	pl := planner{spec: spec, def: spec.Defaults.withDefaults()}
	if opts != nil {
		pl.prev = opts.Previous
	}
	pl.checkGlobals()
	drafts := make([]draft, len(spec.Clusters))
	for i := range spec.Clusters {
		pl.resolve(&drafts[i], &spec.Clusters[i])
	}
	pl.checkDuplicates(drafts)
	pinned, refs := pinnedRanges(drafts)
	pl.checkOverlaps(drafts, pinned, refs)
	pl.assignIDs(drafts)
	pl.assignCIDRs(drafts, pinned)
	if pl.errs.len() > 0 {
		return nil, pl.errs.err()
	}
	p := &Plan{
		maxConnected: pl.maxConn,
		clusters:     make([]ClusterPlan, len(drafts)),
		index:        make(map[string]int, len(drafts)),
		warnings:     pl.warnings.errs(),
	}
	for i := range drafts {
		c := drafts[i].ClusterPlan
		if !hasFamily(c.PodCIDRs, 0) {
			c.NodeMaskSize = 0
		}
		if !hasFamily(c.PodCIDRs, 1) {
			c.NodeMaskSizeV6 = 0
		}
		c.Capacity = capacityOf(&c, pl.maxConn)
		c.Identities, _ = Identities(c.ID, pl.maxConn)
		p.clusters[i] = c
		p.index[c.Name] = i
	}
	return p, nil
}

// planner holds the state of one NewPlan call.
type planner struct {
	spec     Spec
	def      Defaults
	prev     *Plan
	maxConn  int  // 255 or 511 as given (0 -> 255)
	idLimit  int  // highest assignable ID
	idsOK    bool // maxConn is valid, so ID ranges can be checked
	podPools [2][]netip.Prefix
	svcPools [2][]netip.Prefix
	errs     problems // what makes the spec fail
	warnings problems // allowed problems, kept on the plan
}

// draft is a cluster being planned.
type draft struct {
	ClusterPlan
	maxNodes int
	maskOK   [2]bool // node mask size usable, per family (0 IPv4, 1 IPv6)
}

// family indexes: 0 IPv4, 1 IPv6.
func fam(p netip.Prefix) int {
	if p.Addr().Is6() {
		return 1
	}
	return 0
}

func hasFamily(ps []netip.Prefix, f int) bool {
	for _, p := range ps {
		if fam(p) == f {
			return true
		}
	}
	return false
}

func famName(f int) string {
	if f == 1 {
		return "IPv6"
	}
	return "IPv4"
}

func (pl *planner) errorf(format string, args ...any) {
	pl.errs.addf(format, args...)
}

func (pl *planner) checkGlobals() {
	pl.maxConn = pl.spec.MaxConnectedClusters
	if pl.maxConn == 0 {
		pl.maxConn = MaxConnected255
	}
	pl.idLimit, pl.idsOK = pl.maxConn, true
	if err := ValidateMaxConnectedClusters(pl.maxConn); err != nil {
		pl.errs.add(err)
		pl.idLimit, pl.idsOK = MaxConnected511, false
	}
	if pl.prev != nil && pl.prev.maxConnected != pl.maxConn {
		pl.errorf("%w: maxConnectedClusters %d, previous plan has %d", ErrPlanChanged, pl.maxConn, pl.prev.maxConnected)
	}
	if len(pl.spec.Clusters) == 0 {
		pl.errs.add(ErrNoClusters)
	}
	d := pl.spec.Defaults
	for _, f := range []struct {
		name  string
		v, hi int
		err   error
	}{
		{"podCIDRPrefixLength", d.PodCIDRPrefixLength, 32, ErrInvalidPrefixLength},
		{"podCIDRPrefixLengthV6", d.PodCIDRPrefixLengthV6, 128, ErrInvalidPrefixLength},
		{"serviceCIDRPrefixLength", d.ServiceCIDRPrefixLength, 32, ErrInvalidPrefixLength},
		{"serviceCIDRPrefixLengthV6", d.ServiceCIDRPrefixLengthV6, 128, ErrInvalidPrefixLength},
		{"nodeMaskSize", d.NodeMaskSize, 32, ErrInvalidNodeMaskSize},
		{"nodeMaskSizeV6", d.NodeMaskSizeV6, 128, ErrInvalidNodeMaskSize},
	} {
		if f.v < 0 || f.v > f.hi {
			pl.errorf("%w: defaults.%s %d, must be 1-%d", f.err, f.name, f.v, f.hi)
		}
	}
	for _, pool := range []struct {
		name string
		in   []netip.Prefix
		out  *[2][]netip.Prefix
	}{{"pods", pl.spec.Pools.Pods, &pl.podPools}, {"services", pl.spec.Pools.Services, &pl.svcPools}} {
		for _, p := range pool.in {
			if err := ipam.ValidateCIDR(p); err != nil {
				pl.errorf("pools.%s: %w", pool.name, err)
				continue
			}
			pool.out[fam(p)] = append(pool.out[fam(p)], p)
		}
	}
}

// validCIDRs returns the valid prefixes of in, reporting the others.
func (pl *planner) validCIDRs(cluster string, kind CIDRKind, in []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(in)+2)
	for _, p := range in {
		if err := ipam.ValidateCIDR(p); err != nil {
			pl.errorf("cluster %s %s CIDR: %w", quote(cluster), kind, err)
			continue
		}
		out = append(out, p)
	}
	return out
}
