package lbipam

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/google/btree"

	"github.com/ciliumkit/ciliumkit/ipam"
)

// Allocator assigns LoadBalancer IPs to Services from CiliumLoadBalancerIPPools with
// Cilium's LB IPAM semantics, plus two guarantees Cilium does not give:
//
//   - A defined order. A Service without requested IPs gets the lowest free address of the
//     first pool, in priority order, that selects it and has room. Priority order: pools
//     with a serviceSelector before pools without one (the specific before the catch-all),
//     then older pools (creationTimestamp) first, then by name.
//   - Stability. An address, once held, stays with its Service across allocator restarts
//     (Adopt reads it back from the Service status) and across pool edits, including edits
//     and deletions that leave it outside every pool: such a Service keeps the address and
//     its assignment reports ErrNotInPool instead of being given a new one. An address is
//     released only when the Service is deleted, stops being a managed LoadBalancer, stops
//     requesting it (lbipam.cilium.io/ips), drops its family, can no longer share it, or
//     when another writer puts a valid, free address of its family into the Service's
//     status, which is adopted instead (see Assign; any other address so written is
//     refused).
//
// Pools whose blocks overlap are settled oldest first: the newer pool is conflicting and
// gives out nothing. Disabled pools give out nothing new and keep what they gave. Each
// allocation of the lowest free address costs O(P) for P pools; a given address costs
// O(log P + log n) for n free intervals of its range.
//
// An Allocator is not safe for concurrent use. The zero value is not usable; call
// NewAllocator.
type Allocator struct {
	pools map[string]*poolState
	// order holds the pools that give out addresses, in priority order.
	order []*poolState
	// ranges holds the blocks of non-conflicting pools (disjoint), sorted by first
	// address (IPv4 before IPv6); it changes only when pools change.
	ranges []*poolRange
	// used holds every address held by a Service.
	used heldIndex
	// services holds the Services that hold addresses or were assigned.
	services serviceIndex
	// sharing indexes held addresses by sharing key, each list sorted.
	sharing map[string][]netip.Addr
	// spareH and spareS hold holdings and Service states not yet handed out, allocated
	// in batches so that a bulk assignment does not allocate once per Service;
	// droppedH holds released holdings, handed out again first.
	spareH   []holding
	droppedH []*holding
	spareS   []serviceState
	// spareIPs backs the IPs of Assignments (resultIPs).
	spareIPs []netip.Addr
}

// allocBatch is how many holdings or Service states the allocator allocates at once.
const allocBatch = 64

// held returns the holding of ip.
func (a *Allocator) held(ip netip.Addr) (*holding, bool) {
	h := a.used.get(ip)
	return h, h != nil
}

// newHolding returns a holding of ip by s alone.
func (a *Allocator) newHolding(ip netip.Addr, s *serviceState) *holding {
	var h *holding
	if n := len(a.droppedH); n > 0 {
		h = a.droppedH[n-1]
		a.droppedH = a.droppedH[:n-1]
	} else {
		if len(a.spareH) == 0 {
			a.spareH = make([]holding, allocBatch)
		}
		h = &a.spareH[0]
		a.spareH = a.spareH[1:]
	}
	*h = holding{ip: ip, sharingKey: s.req.SharingKey}
	h.one[0] = s
	h.holders = h.one[:1:1]
	return h
}

// dropHolding forgets h, which no Service holds any more.
func (a *Allocator) dropHolding(h *holding) {
	a.used.remove(h.ip)
	*h = holding{}
	a.droppedH = append(a.droppedH, h)
}

// newService returns the state of a Service not seen before.
func (a *Allocator) newService(key serviceKey) *serviceState {
	if len(a.spareS) == 0 {
		a.spareS = make([]serviceState, allocBatch)
	}
	s := &a.spareS[0]
	a.spareS = a.spareS[1:]
	s.key = key
	s.ips = s.ipBuf[:0]
	s.ports = s.portBuf[:0]
	return s
}

// serviceKey names a Service.
type serviceKey struct{ namespace, name string }

// poolState is the allocator's view of one CiliumLoadBalancerIPPool.
type poolState struct {
	name     string
	created  time.Time
	selector labelSelector // nil: every Service, or a selector that does not convert
	disabled bool
	blocks   []parsedBlock
	ranges   []*poolRange // nil while conflicting or invalid
	// invalid is why the pool's spec cannot be used (ValidatePool), or nil.
	invalid error
	// conflict is set when the pool overlaps an older pool, or nil.
	conflict error
}

// problem is why the pool gives nothing out, or nil.
func (p *poolState) problem() error {
	if p.invalid != nil {
		return p.invalid
	}
	return p.conflict
}

// poolRange is one block of a non-conflicting pool with its free space.
type poolRange struct {
	pool  *poolState
	alloc ipam.Range
	// first is alloc.First(), kept as the B-tree key so that lookups by address and the
	// family test need no conversion.
	first netip.Addr
	free  *freeSet
}

// holding is one held address and the Services that hold it (several when shared).
type holding struct {
	ip         netip.Addr
	sharingKey string
	// holders starts out as one[:1], so that an address held by one Service needs no
	// second allocation.
	holders []*serviceState
	one     [1]*serviceState
}

// NewAllocator returns an empty allocator: no pools, no Services.
func NewAllocator() *Allocator {
	return &Allocator{
		pools:   map[string]*poolState{},
		sharing: map[string][]netip.Addr{},
	}
}

// SetPool adds or replaces a pool (matched by name). A pool that fails ValidatePool is
// kept but gives nothing out; its error is returned and reported by PoolStatus. Addresses
// already held stay held whatever the new blocks are.
func (a *Allocator) SetPool(pool *ciliumv2.CiliumLoadBalancerIPPool) error {
	err := a.setPool(pool)
	a.rebuild()
	return err
}

// setPool is SetPool without the rebuild, for callers that change several pools at once.
func (a *Allocator) setPool(pool *ciliumv2.CiliumLoadBalancerIPPool) error {
	p := &poolState{name: pool.Name, created: pool.CreationTimestamp.Time, disabled: pool.Spec.Disabled}
	blocks, err := parseBlocks(pool)
	sel, serr := poolSelector(pool)
	if err == nil {
		err = serr
	}
	p.blocks, p.selector, p.invalid = blocks, sel, err
	a.pools[p.name] = p
	return err
}

// DeletePool removes the pool called name. Services keep the addresses it gave them.
func (a *Allocator) DeletePool(name string) {
	if _, ok := a.pools[name]; ok {
		delete(a.pools, name)
		a.rebuild()
	}
}

// rebuild settles conflicts, recomputes the priority order and the free space of every
// non-conflicting range from the held addresses. It costs O(B log B + H log(B·F)) for B
// blocks, H held addresses and F free spans per range, and runs only when pools change.
func (a *Allocator) rebuild() {
	byAge := make([]*poolState, 0, len(a.pools))
	for _, p := range a.pools {
		byAge = append(byAge, p)
	}
	slices.SortFunc(byAge, func(x, y *poolState) int {
		return cmp.Or(x.created.Compare(y.created), cmp.Compare(x.name, y.name))
	})
	accepted := btree.NewG(16, ipam.Range.StartsBefore)
	owner := map[ipam.Range]string{}
	a.ranges = a.ranges[:0]
	a.order = a.order[:0]
	for _, p := range byAge {
		p.ranges, p.conflict = nil, nil
		if p.invalid != nil {
			continue
		}
		if p.conflict = conflictOf(p, accepted, owner); p.conflict != nil {
			continue
		}
		for _, b := range p.blocks {
			accepted.ReplaceOrInsert(b.bounds)
			owner[b.bounds] = p.name
			r := &poolRange{pool: p, alloc: b.alloc, first: b.alloc.First(), free: newFreeSet(b.alloc)}
			p.ranges = append(p.ranges, r)
			a.ranges = append(a.ranges, r)
		}
		if !p.disabled {
			a.order = append(a.order, p)
		}
	}
	slices.SortFunc(a.ranges, func(x, y *poolRange) int { return x.first.Compare(y.first) })
	a.used.each(func(h *holding) {
		if r := a.rangeOf(h.ip); r != nil {
			r.free.take(h.ip)
		}
	})
	// Only valid pools are in order, so a nil selector means the spec has none.
	slices.SortStableFunc(a.order, func(x, y *poolState) int {
		if (x.selector != nil) != (y.selector != nil) {
			if x.selector != nil {
				return -1
			}
			return 1
		}
		return 0
	})
}

// PoolOrder returns the names of the pools that give out addresses (enabled, valid, not
// conflicting), in the priority order the allocator tries them.
func (a *Allocator) PoolOrder() []string {
	names := make([]string, len(a.order))
	for i, p := range a.order {
		names[i] = p.name
	}
	return names
}

// rangeOf returns the non-conflicting range whose allocatable addresses contain ip, by
// binary search over the disjoint ranges.
func (a *Allocator) rangeOf(ip netip.Addr) *poolRange {
	lo, hi := 0, len(a.ranges)
	for lo < hi { // find the first range that starts after ip
		m := int(uint(lo+hi) >> 1)
		if ip.Less(a.ranges[m].first) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo > 0 && a.ranges[lo-1].alloc.Contains(ip) {
		return a.ranges[lo-1]
	}
	return nil
}

// conflictOf returns an error naming p, the older pool and both blocks when a block of p
// overlaps a block already accepted (accepted holds disjoint intervals).
func conflictOf(p *poolState, accepted *btree.BTreeG[ipam.Range], owner map[ipam.Range]string) error {
	for _, b := range p.blocks {
		var hit ipam.Range
		found := false
		accepted.DescendLessOrEqual(point(b.bounds.Last()), func(r ipam.Range) bool {
			hit, found = r, r.Overlaps(b.bounds)
			return false
		})
		if found {
			return fmt.Errorf("pool %q block %s-%s overlaps block %s-%s of older pool %q: %w",
				p.name, b.bounds.First(), b.bounds.Last(), hit.First(), hit.Last(), owner[hit], ErrPoolConflict)
		}
	}
	return nil
}
