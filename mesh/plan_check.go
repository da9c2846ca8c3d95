package mesh

import "net/netip"

// checkDuplicates reports clusters sharing a name or a pinned ID, and pinned IDs out of
// range.
func (pl *planner) checkDuplicates(ds []draft) {
	names := make(map[string]int, len(ds))
	ids := make(map[uint32]int, len(ds))
	for i := range ds {
		d := &ds[i]
		if j, dup := names[d.Name]; dup {
			pl.errorf("%w %s: clusters #%d and #%d", ErrDuplicateClusterName, quote(d.Name), j+1, i+1)
		} else {
			names[d.Name] = i
		}
		if d.ID == 0 {
			continue
		}
		if pl.idsOK {
			if err := ValidateClusterID(d.ID, pl.maxConn); err != nil {
				pl.errorf("cluster %s: %w", quote(d.Name), err)
				continue
			}
		}
		if j, dup := ids[d.ID]; dup {
			pl.errorf("%w %d: clusters %s and %s", ErrDuplicateClusterID, d.ID, quote(ds[j].Name), quote(d.Name))
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
