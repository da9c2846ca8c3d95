package mesh

import (
	"net/netip"
	"slices"
)

// resolve fills d from the cluster spec and the previous plan and checks what concerns the
// cluster alone: its name, ranges, node mask sizes and pinned pod capacity.
func (pl *planner) resolve(d *draft, cs *ClusterSpec) {
	d.Name, d.ID, d.maxNodes = cs.Name, cs.ID, cs.MaxNodes
	if err := ValidateClusterName(cs.Name); err != nil {
		pl.errs.add(err)
	} else if cs.Name == DefaultClusterName {
		pl.errorf("cluster %s: %w", quote(cs.Name), ErrDefaultClusterName)
	}
	if cs.MaxNodes < 0 {
		pl.errorf("cluster %s: %w %d, must be >= 0", quote(cs.Name), ErrInvalidMaxNodes, cs.MaxNodes)
		d.maxNodes = 0
	}
	d.NodeCIDRs = pl.validCIDRs(cs.Name, KindNodeCIDR, cs.NodeCIDRs)
	d.PodCIDRs = pl.validCIDRs(cs.Name, KindPodCIDR, cs.PodCIDRs)
	d.ServiceCIDRs = pl.validCIDRs(cs.Name, KindServiceCIDR, cs.ServiceCIDRs)

	masks := [2]int{cs.NodeMaskSize, cs.NodeMaskSizeV6}
	var fromDefault [2]bool
	if pl.prev != nil {
		if i, ok := pl.prev.index[cs.Name]; ok {
			pl.keep(d, &masks, cs, &pl.prev.clusters[i])
		}
	}
	for f, def := range [2]int{pl.def.NodeMaskSize, pl.def.NodeMaskSizeV6} {
		if masks[f] == 0 {
			masks[f], fromDefault[f] = def, true
		}
	}
	d.NodeMaskSize, d.NodeMaskSizeV6 = masks[0], masks[1]
	for f, m := range masks {
		d.maskOK[f] = lengthOK(f, m)
		if !d.maskOK[f] && !fromDefault[f] { // a bad default is reported once, globally
			pl.errorf("cluster %s: %w: %s node mask size %d, must be 1-%d", quote(cs.Name), ErrInvalidNodeMaskSize, famName(f), m, 32+96*f)
		}
	}
	var pinned [2][]netip.Prefix
	for _, p := range d.PodCIDRs {
		pinned[fam(p)] = append(pinned[fam(p)], p)
	}
	for f := range 2 {
		for _, p := range pinned[f] {
			if d.maskOK[f] && !pl.maskFits(cs.Name, f, masks[f], p.Bits(), p.String()) {
				d.maskOK[f] = false
			}
		}
		if d.maskOK[f] && d.maxNodes > 0 && len(pinned[f]) > 0 {
			if n := nodeCapacity(pinned[f], f, masks[f]); n < d.maxNodes {
				pl.errorf("cluster %s: %w: %s pod CIDRs %s hold %d nodes of /%d, maxNodes is %d",
					quote(cs.Name), ErrPodCIDRTooSmall, famName(f), prefixList(pinned[f]), n, masks[f], d.maxNodes)
			}
		}
	}
}

// maskFits checks a node mask size against a pod CIDR length: the mask may not be
// shorter, and for IPv6 not more than 16 bits longer (Cilium's cluster-pool limit).
func (pl *planner) maskFits(cluster string, f, mask, podBits int, pod string) bool {
	switch {
	case mask < podBits:
		pl.errorf("cluster %s: %w: %s node mask size /%d is shorter than pod CIDR %s",
			quote(cluster), ErrInvalidNodeMaskSize, famName(f), mask, pod)
		return false
	case f == 1 && mask-podBits > 16:
		pl.errorf("cluster %s: %w: IPv6 node mask size /%d is more than 16 bits longer than pod CIDR %s, which Cilium's cluster-pool allocator refuses",
			quote(cluster), ErrInvalidNodeMaskSize, mask, pod)
		return false
	}
	return true
}

// keep carries the previous plan's assignments for the cluster into d, reporting where
// the spec contradicts them.
func (pl *planner) keep(d *draft, masks *[2]int, cs *ClusterSpec, pc *ClusterPlan) {
	switch {
	case d.ID == 0:
		d.ID = pc.ID
	case d.ID != pc.ID:
		pl.errorf("cluster %s: %w: ID %d, previous plan has %d", quote(cs.Name), ErrPlanChanged, d.ID, pc.ID)
	}
	// Ranges the previous plan gave are kept; ranges the spec pins on top are added.
	for _, r := range []struct {
		cur  *[]netip.Prefix
		prev []netip.Prefix
	}{{&d.PodCIDRs, pc.PodCIDRs}, {&d.ServiceCIDRs, pc.ServiceCIDRs}} {
		merged := slices.Clone(r.prev)
		have := make(map[netip.Prefix]bool, len(merged)+len(*r.cur))
		for _, p := range merged {
			have[p] = true
		}
		for _, p := range *r.cur {
			if !have[p] {
				have[p] = true
				merged = append(merged, p)
			}
		}
		*r.cur = merged
	}
	for f, pm := range [2]int{pc.NodeMaskSize, pc.NodeMaskSizeV6} {
		switch {
		case pm == 0:
		case masks[f] == 0:
			masks[f] = pm
		case masks[f] != pm:
			pl.errorf("cluster %s: %w: %s node mask size %d, previous plan has %d", quote(cs.Name), ErrPlanChanged, famName(f), masks[f], pm)
		}
	}
}
