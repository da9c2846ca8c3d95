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

// rangeRef says which cluster pins a range and for what, for overlap checks.
type rangeRef struct {
	cluster int
	kind    CIDRKind
}

// pinnedRanges returns every range the clusters pin and, at the same index, who pins it.
func pinnedRanges(ds []draft) ([]netip.Prefix, []rangeRef) {
	n := 0
	for i := range ds {
		n += len(ds[i].NodeCIDRs) + len(ds[i].PodCIDRs) + len(ds[i].ServiceCIDRs)
	}
	ps := make([]netip.Prefix, 0, n)
	refs := make([]rangeRef, 0, n)
	for i := range ds {
		for _, k := range []struct {
			kind CIDRKind
			ps   []netip.Prefix
		}{{KindNodeCIDR, ds[i].NodeCIDRs}, {KindPodCIDR, ds[i].PodCIDRs}, {KindServiceCIDR, ds[i].ServiceCIDRs}} {
			for _, p := range k.ps {
				ps = append(ps, p)
				refs = append(refs, rangeRef{i, k.kind})
			}
		}
	}
	return ps, refs
}

// checkOverlaps reports every pair of pinned ranges that share addresses: errors, except
// service ranges of different clusters, which are warnings. ps and refs are
// pinnedRanges(ds).
func (pl *planner) checkOverlaps(ds []draft, ps []netip.Prefix, refs []rangeRef) {
	for _, pair := range ipam.CIDROverlaps(ps) {
		a, b := refs[pair[0]], refs[pair[1]]
		e := &OverlapError{
			Cluster: ds[a.cluster].Name, Kind: a.kind, Prefix: ps[pair[0]],
			OtherCluster: ds[b.cluster].Name, OtherKind: b.kind, OtherPrefix: ps[pair[1]],
		}
		if e.Warning() {
			pl.warnings = append(pl.warnings, e)
		} else {
			pl.errs = append(pl.errs, e)
		}
	}
}
