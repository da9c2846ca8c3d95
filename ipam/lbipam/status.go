package lbipam

import (
	"errors"
	"math/big"
	"sort"
)

// PoolStatus is a pool's state as Cilium reports it in its status conditions
// (cilium.io/IPsTotal, IPsUsed, IPsAvailable, PoolConflict).
type PoolStatus struct {
	// Name is the pool's name.
	Name string
	// Total counts the addresses the pool's valid blocks hand out (reserved first and last
	// addresses excluded). Used counts those held by Services. Available counts those free
	// and obtainable: zero for a disabled, invalid or conflicting pool.
	Total, Used, Available *big.Int
	// Disabled is the pool's spec.disabled.
	Disabled bool
	// Conflicting is true when the pool overlaps itself or an older pool (Err wraps
	// ErrPoolConflict).
	Conflicting bool
	// Err is why the pool gives nothing out (invalid spec or conflict), or nil.
	Err error
}

// PoolStatus returns the status of the pool called name; false when there is none. It
// costs O(B) for B blocks, and O(B·H) for H held addresses when the pool is invalid or
// conflicting.
func (a *Allocator) PoolStatus(name string) (PoolStatus, bool) {
	p, ok := a.pools[name]
	if !ok {
		return PoolStatus{}, false
	}
	st := PoolStatus{Name: name, Total: new(big.Int), Used: new(big.Int), Available: new(big.Int),
		Disabled: p.disabled, Err: p.problem()}
	st.Conflicting = p.conflict != nil || isConflict(p.invalid)
	for _, b := range p.blocks {
		st.Total.Add(st.Total, size(b.alloc))
	}
	if p.ranges != nil {
		free := new(big.Int)
		for _, r := range p.ranges {
			free.Add(free, r.free.free())
		}
		st.Used.Sub(st.Total, free)
		if !p.disabled {
			st.Available = free
		}
		return st, true
	}
	n := int64(0)
	a.used.each(func(h *holding) {
		for _, b := range p.blocks {
			if b.alloc.Contains(h.ip) {
				n++
				break
			}
		}
	})
	st.Used.SetInt64(n)
	return st, true
}

// PoolNames returns the names of all pools, sorted.
func (a *Allocator) PoolNames() []string {
	names := make([]string, 0, len(a.pools))
	for n := range a.pools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func isConflict(err error) bool { return err != nil && errors.Is(err, ErrPoolConflict) }
