package mesh

import (
	"container/heap"
	"net/netip"
	"slices"
)

// checkOverlaps reports the pinned ranges that share addresses, in bounded form: one
// problem per range that several entries hold (however many hold it), and one per pair of
// different ranges that overlap. Service ranges of different clusters only warn. ps and
// refs are pinnedRanges(ds). Problems are ordered by the spec position of the two entries
// they name; past MaxReportedProblems only their number is kept.
//
// Different prefixes overlap only by nesting, and a prefix has at most 129 ancestors, so
// the pairs of different ranges are at most 129 per range: the check is O(n log n) in the
// number of entries.
func (pl *planner) checkOverlaps(ds []draft, ps []netip.Prefix, refs []rangeRef) {
	o := overlapCheck{ds: ds, ps: ps, refs: refs}
	o.group()
	errs := overlapSink{keep: pl.errs.room()}
	warns := overlapSink{keep: pl.warnings.room()}
	put := func(c overlapCand) {
		if c.warning {
			warns.put(c)
		} else {
			errs.put(c)
		}
	}
	for g := range o.groups {
		if len(o.groups[g].entries) > 1 {
			put(o.sameRange(&o.groups[g]))
		}
	}
	// Sweep the distinct ranges by first address, larger first: the ranges on the stack
	// form a chain, each holding the next, and all of them hold the current one.
	order := make([]int, len(o.groups))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		pa, pb := o.groups[a].prefix, o.groups[b].prefix
		if c := pa.Addr().Compare(pb.Addr()); c != 0 {
			return c
		}
		return pa.Bits() - pb.Bits()
	})
	var stack []int
	for _, g := range order {
		p := o.groups[g].prefix
		for len(stack) > 0 && !o.groups[stack[len(stack)-1]].prefix.Contains(p.Addr()) {
			stack = stack[:len(stack)-1]
		}
		for _, a := range stack {
			put(o.between(&o.groups[a], &o.groups[g]))
		}
		stack = append(stack, g)
	}
	for _, s := range []struct {
		sink *overlapSink
		to   *problems
		is   error
	}{{&errs, &pl.errs, ErrCIDROverlap}, {&warns, &pl.warnings, ErrServiceCIDROverlap}} {
		kept := s.sink.sorted()
		for _, c := range kept {
			s.to.add(o.overlapError(c))
		}
		if n := s.sink.total - len(kept); n > 0 {
			s.to.drop(n, s.is)
		}
	}
}

// overlapCheck is the state of one checkOverlaps call.
type overlapCheck struct {
	ds     []draft
	ps     []netip.Prefix
	refs   []rangeRef
	groups []rangeGroup
}

// rangeGroup is one distinct range and the entries (indexes into ps) that hold it.
type rangeGroup struct {
	prefix  netip.Prefix
	entries []int          // in spec order
	nonSvc  int            // first entry that is not a service range, -1 if none
	names   map[string]int // cluster name -> first entry, built when needed
}

// overlapCand is one problem to report: entries i < j and, for a range held several
// times, how many entries and clusters hold it.
type overlapCand struct {
	i, j                    int
	holders, holderClusters int
	warning                 bool
}

func (c overlapCand) less(d overlapCand) bool {
	if c.i != d.i {
		return c.i < d.i
	}
	return c.j < d.j
}

func (o *overlapCheck) group() {
	idx := make(map[netip.Prefix]int)
	for i, p := range o.ps {
		g, ok := idx[p]
		if !ok {
			g = len(o.groups)
			idx[p] = g
			o.groups = append(o.groups, rangeGroup{prefix: p, nonSvc: -1})
		}
		grp := &o.groups[g]
		grp.entries = append(grp.entries, i)
		if grp.nonSvc < 0 && o.refs[i].kind != KindServiceCIDR {
			grp.nonSvc = i
		}
	}
}

func (o *overlapCheck) name(e int) string { return o.ds[o.refs[e].cluster].Name }

// warnPair reports whether entries a and b may overlap: service ranges of two clusters.
func (o *overlapCheck) warnPair(a, b int) bool {
	return o.refs[a].kind == KindServiceCIDR && o.refs[b].kind == KindServiceCIDR && o.name(a) != o.name(b)
}

func (o *overlapCheck) pair(a, b int) overlapCand {
	return overlapCand{i: min(a, b), j: max(a, b), warning: o.warnPair(a, b)}
}

// sameRange is the one problem of a range that several entries hold: an error naming
// the first pair that may not share it, or a warning when every pair may.
func (o *overlapCheck) sameRange(g *rangeGroup) overlapCand {
	es := g.entries
	c := o.pair(es[0], es[1])
	if c.warning && len(es) > 2 {
		if g.nonSvc >= 0 {
			c = o.pair(es[0], g.nonSvc)
		} else {
			seen := make(map[string]int, len(es))
			for _, e := range es {
				if f, dup := seen[o.name(e)]; dup {
					c = o.pair(f, e)
					break
				}
				seen[o.name(e)] = e
			}
		}
	}
	c.holders, c.holderClusters = len(es), 1
	for k := 1; k < len(es); k++ {
		if o.refs[es[k]].cluster != o.refs[es[k-1]].cluster {
			c.holderClusters++
		}
	}
	return c
}

// between is the one problem of two different ranges that overlap (a holds b): an error
// naming a pair of their entries that may not overlap, or a warning when every pair may.
func (o *overlapCheck) between(a, b *rangeGroup) overlapCand {
	c := o.pair(a.entries[0], b.entries[0])
	switch {
	case !c.warning:
	case a.nonSvc >= 0:
		c = o.pair(a.nonSvc, b.entries[0])
	case b.nonSvc >= 0:
		c = o.pair(a.entries[0], b.nonSvc)
	case len(a.entries) > 1 || len(b.entries) > 1:
		// Only service ranges: an error when one cluster holds both.
		small, large := a, b
		if len(small.entries) > len(large.entries) {
			small, large = large, small
		}
		names := large.nameIndex(o)
		for _, e := range small.entries {
			if f, ok := names[o.name(e)]; ok {
				return o.pair(e, f)
			}
		}
	}
	return c
}

func (g *rangeGroup) nameIndex(o *overlapCheck) map[string]int {
	if g.names == nil {
		g.names = make(map[string]int, len(g.entries))
		for _, e := range g.entries {
			if _, ok := g.names[o.name(e)]; !ok {
				g.names[o.name(e)] = e
			}
		}
	}
	return g.names
}

func (o *overlapCheck) overlapError(c overlapCand) *OverlapError {
	a, b := o.refs[c.i], o.refs[c.j]
	return &OverlapError{
		Cluster: o.ds[a.cluster].Name, Kind: a.kind, Prefix: o.ps[c.i],
		OtherCluster: o.ds[b.cluster].Name, OtherKind: b.kind, OtherPrefix: o.ps[c.j],
		Holders: c.holders, HolderClusters: c.holderClusters,
	}
}

// overlapSink keeps the keep first candidates (by overlapCand.less) of a stream and
// counts them all.
type overlapSink struct {
	keep  int
	h     candHeap
	total int
}

func (s *overlapSink) put(c overlapCand) {
	s.total++
	switch {
	case s.keep <= 0:
	case len(s.h) < s.keep:
		heap.Push(&s.h, c)
	case c.less(s.h[0]):
		s.h[0] = c
		heap.Fix(&s.h, 0)
	}
}

func (s *overlapSink) sorted() []overlapCand {
	out := slices.Clone(s.h)
	slices.SortFunc(out, func(a, b overlapCand) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	return out
}

// candHeap is a max-heap: its root is the last candidate kept.
type candHeap []overlapCand

func (h candHeap) Len() int           { return len(h) }
func (h candHeap) Less(a, b int) bool { return h[b].less(h[a]) }
func (h candHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *candHeap) Push(x any)        { *h = append(*h, x.(overlapCand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
