package mesh

import (
	"errors"
	"fmt"
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
			pl.errorf("cluster %s: %w: all %d IDs are taken", quote(d.Name), ErrNoFreeClusterID, pl.idLimit)
			continue
		}
		d.ID = uint32(next)
		used[next] = true
	}
}

// assignCIDRs gives each cluster a pod range for every IP family the pod pools offer and
// it lacks, and a service range for every family of its pod ranges that it lacks and the
// service pools offer, in spec order, from the first free aligned block outside the
// pinned ranges. Service ranges are optional: without a service pool in the spec, a
// cluster keeps the service ranges it pins, or has none.
func (pl *planner) assignCIDRs(ds []draft, pinned []netip.Prefix) {
	alloc := ipam.NewCIDRAllocator(pinned)
	pods := carver{alloc: alloc, pools: pl.podPools}
	svcs := carver{alloc: alloc, pools: pl.svcPools}
	podLen := [2]int{pl.def.PodCIDRPrefixLength, pl.def.PodCIDRPrefixLengthV6}
	svcLen := [2]int{pl.def.ServiceCIDRPrefixLength, pl.def.ServiceCIDRPrefixLengthV6}
	planServices := len(pl.spec.Pools.Services) > 0
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
				pl.errorf("cluster %s: %w: maxNodes %d exceeds the %d %s node CIDRs of /%d in the whole address space",
					quote(d.Name), ErrPodCIDRTooSmall, d.maxNodes, pow2(masks[f]), famName(f), masks[f])
				continue
			}
			if !pl.maskFits(d.Name, f, masks[f], bits, "length /"+strconv.Itoa(bits)+" ("+what+")") {
				continue
			}
			p, err := pods.allocate(f, bits)
			if err != nil {
				pl.errorf("cluster %s: %s pod CIDR /%d: %w", quote(d.Name), famName(f), bits, err)
				continue
			}
			d.PodCIDRs = append(d.PodCIDRs, p)
		}
		if !fams[0] && !fams[1] {
			pl.errorf("cluster %s: %w: none pinned and no pod pool", quote(d.Name), ErrNoPodCIDR)
		}
		if !planServices {
			continue
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
			p, err := svcs.allocate(f, svcLen[f])
			if err != nil {
				pl.errorf("cluster %s: %s service CIDR /%d: %w", quote(d.Name), famName(f), svcLen[f], err)
				svcFailed = true
				continue
			}
			d.ServiceCIDRs = append(d.ServiceCIDRs, p)
		}
		if len(d.ServiceCIDRs) == 0 && !svcFailed && (fams[0] || fams[1]) {
			pl.errorf("cluster %s: %w: none pinned and no service pool for its IP families", quote(d.Name), ErrNoServiceCIDR)
		}
	}
}

// carver takes blocks from the pools of one kind (pod or service) through the planner's
// allocator. Reservations only grow during planning, so a pool without room for a length
// never gets room again: per family and length the carver skips such pools and, once no
// pool has room, reports exhaustion without searching again. That keeps planning linear
// in the number of pools and clusters.
type carver struct {
	alloc *ipam.CIDRAllocator
	pools [2][]netip.Prefix // valid pools per family, in spec order
	state map[[2]int]*carveState
}

type carveState struct {
	pools     []netip.Prefix // the family's distinct pools that can hold the length
	start     int            // pools before it have no room
	exhausted bool
}

// allocate returns the first free block of length bits of family f (0 IPv4, 1 IPv6),
// or an error wrapping ipam.ErrPoolExhausted that lists (a bounded number of) the pools.
func (c *carver) allocate(f, bits int) (netip.Prefix, error) {
	key := [2]int{f, bits}
	st := c.state[key]
	if st == nil {
		st = &carveState{}
		seen := make(map[netip.Prefix]bool)
		for _, p := range c.pools[f] {
			if p.Bits() <= bits && !seen[p] {
				seen[p] = true
				st.pools = append(st.pools, p)
			}
		}
		if c.state == nil {
			c.state = make(map[[2]int]*carveState)
		}
		c.state[key] = st
	}
	if !st.exhausted {
		p, err := c.alloc.Allocate(st.pools[st.start:], bits)
		if err == nil {
			// The block came from the first remaining pool that holds it.
			for st.start < len(st.pools) && !st.pools[st.start].Contains(p.Addr()) {
				st.start++
			}
			return p, nil
		}
		if !errors.Is(err, ipam.ErrPoolExhausted) {
			return netip.Prefix{}, err
		}
		st.exhausted = true
	}
	return netip.Prefix{}, fmt.Errorf("%w: no free /%d in pools %s", ipam.ErrPoolExhausted, bits, prefixList(c.pools[f]))
}

// lengthOK reports whether bits is a usable prefix length of family f.
func lengthOK(f, bits int) bool { return bits >= 1 && bits <= 32+96*f }
