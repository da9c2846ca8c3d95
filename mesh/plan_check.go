package mesh

import (
	"net/netip"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// checkDuplicates reports clusters sharing a name or a pinned ID, and pinned IDs out of
// range.
func (pl *planner) checkDuplicates(ds []draft) {
	names := make(map[string]int, len(ds))
	ids := make(map[uint32]int, len(ds))
	for i := range ds {
		d := &ds[i]
		if j, dup := names[d.Name]; dup {
			pl.errorf("%w %q: clusters #%d and #%d", ErrDuplicateClusterName, d.Name, j+1, i+1)
		} else {
			names[d.Name] = i
		}
		if d.ID == 0 {
			continue
		}
		if pl.idsOK {
			if err := ValidateClusterID(d.ID, pl.maxConn); err != nil {
				pl.errorf("cluster %q: %w", d.Name, err)
				continue
			}
		}
		if j, dup := ids[d.ID]; dup {
			pl.errorf("%w %d: clusters %q and %q", ErrDuplicateClusterID, d.ID, ds[j].Name, d.Name)
		} else {
			ids[d.ID] = i
		}
	}
}

// rangeRef is one range a cluster pins, for overlap checks.
type rangeRef struct {
	cluster int
	kind    CIDRKind
	prefix  netip.Prefix
}

func pinnedRanges(ds []draft) []rangeRef {
	n := 0
	for i := range ds {
		n += len(ds[i].NodeCIDRs) + len(ds[i].PodCIDRs) + len(ds[i].ServiceCIDRs)
	}
	refs := make([]rangeRef, 0, n)
	for i := range ds {
		for _, k := range []struct {
			kind CIDRKind
			ps   []netip.Prefix
		}{{KindNodeCIDR, ds[i].NodeCIDRs}, {KindPodCIDR, ds[i].PodCIDRs}, {KindServiceCIDR, ds[i].ServiceCIDRs}} {
			for _, p := range k.ps {
				refs = append(refs, rangeRef{i, k.kind, p})
			}
		}
	}
	return refs
}

// checkOverlaps reports every pair of pinned ranges that share addresses: errors, except
// service ranges of different clusters, which are warnings.
func (pl *planner) checkOverlaps(ds []draft) {
	refs := pinnedRanges(ds)
	ps := make([]netip.Prefix, len(refs))
	for i, r := range refs {
		ps[i] = r.prefix
	}
	for _, pair := range ipam.CIDROverlaps(ps) {
		a, b := refs[pair[0]], refs[pair[1]]
		e := &OverlapError{
			Cluster: ds[a.cluster].Name, Kind: a.kind, Prefix: a.prefix,
			OtherCluster: ds[b.cluster].Name, OtherKind: b.kind, OtherPrefix: b.prefix,
		}
		if a.cluster != b.cluster && e.Warning() {
			pl.warnings = append(pl.warnings, e)
		} else {
			pl.errs = append(pl.errs, e)
		}
	}
}
