package mesh

import (
	"net/netip"
	"strconv"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// assignIDs gives each cluster without an ID the lowest ID no other cluster holds, in
// spec order.
func (pl *planner) assignIDs(ds []draft) {
	used := make([]bool, pl.idLimit+1)
	for i := range ds {
		if id := ds[i].ID; id != 0 && int(id) <= pl.idLimit {
			used[id] = true
		}
	}
	next := 1
	for i := range ds {
		d := &ds[i]
		if d.ID != 0 {
			continue
		}
		for next <= pl.idLimit && used[next] {
			next++
		}
		if next > pl.idLimit {
			pl.errorf("cluster %q: %w: all %d IDs are taken", d.Name, ErrNoFreeClusterID, pl.idLimit)
			continue
		}
		d.ID = uint32(next)
		used[next] = true
	}
}

// assignCIDRs gives each cluster a pod range for every IP family the pod pools offer and
// it lacks, and a service range for every family of its pod ranges that it lacks and the
// service pools offer, in spec order, from the first free aligned block outside the
// pinned ranges.
func (pl *planner) assignCIDRs(ds []draft, pinned []netip.Prefix) {
	alloc := ipam.NewCIDRAllocator(pinned)
	podLen := [2]int{pl.def.PodCIDRPrefixLength, pl.def.PodCIDRPrefixLengthV6}
	svcLen := [2]int{pl.def.ServiceCIDRPrefixLength, pl.def.ServiceCIDRPrefixLengthV6}
	for i := range ds {
		d := &ds[i]
		masks := [2]int{d.NodeMaskSize, d.NodeMaskSizeV6}
		var fams, hasPod, hasSvc [2]bool
		for _, p := range d.PodCIDRs {
			fams[fam(p)], hasPod[fam(p)] = true, true
		}
		for _, p := range d.ServiceCIDRs {
			hasSvc[fam(p)] = true
		}
		for f := range 2 {
			if len(pl.podPools[f]) > 0 {
				fams[f] = true
			}
			if !fams[f] || hasPod[f] || !d.maskOK[f] {
				continue
			}
			bits, what := podLen[f], "the default pod CIDR length"
			if d.maxNodes > 0 {
				bits, what = podPrefixForNodes(d.maxNodes, masks[f]), "the pod CIDR length for maxNodes"
			} else if !lengthOK(f, bits) { // a bad default, reported once by checkGlobals
				continue
			}
			if bits < 0 {
				pl.errorf("cluster %q: %w: maxNodes %d exceeds the %d %s node CIDRs of /%d in the whole address space",
					d.Name, ErrPodCIDRTooSmall, d.maxNodes, pow2(masks[f]), famName(f), masks[f])
				continue
			}
			if !pl.maskFits(d.Name, f, masks[f], bits, "length /"+strconv.Itoa(bits)+" ("+what+")") {
				continue
			}
			p, err := alloc.Allocate(pl.podPools[f], bits)
			if err != nil {
				pl.errorf("cluster %q: %s pod CIDR /%d: %w", d.Name, famName(f), bits, err)
				continue
			}
			d.PodCIDRs = append(d.PodCIDRs, p)
		}
		if !fams[0] && !fams[1] {
			pl.errorf("cluster %q: %w: none pinned and no pod pool", d.Name, ErrNoPodCIDR)
		}
		svcFailed := false // a service range is missing and was reported
		for f := range 2 {
			if !fams[f] || hasSvc[f] || len(pl.svcPools[f]) == 0 {
				continue
			}
			if !lengthOK(f, svcLen[f]) {
				svcFailed = true
				continue
			}
			p, err := alloc.Allocate(pl.svcPools[f], svcLen[f])
			if err != nil {
				pl.errorf("cluster %q: %s service CIDR /%d: %w", d.Name, famName(f), svcLen[f], err)
				svcFailed = true
				continue
			}
			d.ServiceCIDRs = append(d.ServiceCIDRs, p)
		}
		if len(d.ServiceCIDRs) == 0 && !svcFailed && (fams[0] || fams[1]) {
			pl.errorf("cluster %q: %w: none pinned and no service pool for its IP families", d.Name, ErrNoServiceCIDR)
		}
	}
}

// lengthOK reports whether bits is a usable prefix length of family f.
func lengthOK(f, bits int) bool { return bits >= 1 && bits <= 32+96*f }
