package ipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// LBReason says why a Service's request is or is not satisfied. The values are Cilium's
// IPAMRequestSatisfied condition reasons, plus invalid_request, ip_not_in_pool and
// pool_conflict for cases Cilium does not report.
type LBReason string

// Reasons of an LBAssignment, in the order they take precedence when several apply.
const (
	// LBReasonSatisfied: every requested address is held and backed by a pool.
	LBReasonSatisfied LBReason = "satisfied"
	// LBReasonInvalidRequest: an annotation or spec.loadBalancerIP does not parse.
	LBReasonInvalidRequest LBReason = "invalid_request"
	// LBReasonNoPool: no enabled pool selects the Service or contains the requested IP.
	LBReasonNoPool LBReason = "no_pool"
	// LBReasonOutOfIPs: every enabled pool that selects the Service is full.
	LBReasonOutOfIPs LBReason = "out_of_ips"
	// LBReasonSelectorMismatch: the pool holding the address does not select the Service.
	LBReasonSelectorMismatch LBReason = "pool_selector_mismatch"
	// LBReasonAlreadyAllocated: the requested address is held and cannot be shared.
	LBReasonAlreadyAllocated LBReason = "already_allocated"
	// LBReasonIncompatibleShare: the requested address is shared by an incompatible Service.
	LBReasonIncompatibleShare LBReason = "already_allocated_incompatible_service"
	// LBReasonNotInPool: a kept address lies in no pool any more.
	LBReasonNotInPool LBReason = "ip_not_in_pool"
	// LBReasonConflictingPool: a kept address lies only in a conflicting pool.
	LBReasonConflictingPool LBReason = "pool_conflict"
)

// lbReasonOf maps each sentinel to its reason.
var lbReasonOf = []struct {
	err    error
	reason LBReason
}{
	{ErrLBInvalidRequest, LBReasonInvalidRequest},
	{ErrLBNoPool, LBReasonNoPool},
	{ErrLBOutOfIPs, LBReasonOutOfIPs},
	{ErrLBSelectorMismatch, LBReasonSelectorMismatch},
	{ErrLBAlreadyAllocated, LBReasonAlreadyAllocated},
	{ErrLBIncompatibleSharing, LBReasonIncompatibleShare},
	{ErrLBNotInPool, LBReasonNotInPool},
	{ErrLBConflictingPool, LBReasonConflictingPool},
}

// LBAssignment is the outcome of Assign for one Service.
type LBAssignment struct {
	// Namespace and Name identify the Service.
	Namespace, Name string
	// Managed is false when LB IPAM does not serve the Service (see LBManages); IPs are
	// then empty and the Service's LB status belongs to someone else.
	Managed bool
	// IPs are the addresses the Service holds, IPv4 first, each family ascending.
	IPs []netip.Addr
	// Satisfied is true when the Service holds every address it asks for and none of its
	// addresses has a problem.
	Satisfied bool
	// Reason is LBReasonSatisfied or the reason of the first problem in Err.
	Reason LBReason
	// Err joins every problem, each wrapping a sentinel (ErrLBNoPool, ...) and naming the
	// Service and the address or value; nil when Satisfied.
	Err error
}

// Assign brings svc's addresses up to date and returns them. A Service seen for the first
// time first adopts the addresses in its status.loadBalancer.ingress (see Adopt); then
// addresses it no longer asks for are released, missing ones allocated, and kept ones
// checked against the pools. An unmanaged Service releases everything.
func (a *LBAllocator) Assign(svc *corev1.Service) LBAssignment {
	res := LBAssignment{Namespace: svc.Namespace, Name: svc.Name}
	if !LBManages(svc) {
		a.Release(svc.Namespace, svc.Name)
		return res
	}
	res.Managed = true
	key := lbKey{svc.Namespace, svc.Name}
	s := a.services[key]
	if s == nil {
		s = &lbService{key: key}
		a.services[key] = s
		s.update(svc)
		_ = a.adoptStatus(s, svc)
	} else {
		s.update(svc)
	}
	var errs []error
	if s.reqErr != nil {
		// A request that does not parse changes nothing: keep what is held.
		errs = append(errs, s.reqErr)
	} else {
		a.prune(s)
		errs = append(errs, a.satisfy(s)...)
	}
	errs = append(errs, a.check(s)...)
	res.IPs = slices.Clone(s.ips)
	res.Err = errors.Join(errs...)
	res.Satisfied = res.Err == nil && len(res.IPs) > 0
	res.Reason = LBReasonSatisfied
	if res.Err != nil {
		res.Reason = lbReasonFor(errs[0])
	}
	return res
}

func lbReasonFor(err error) LBReason {
	for _, r := range lbReasonOf {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	return ""
}

// Adopt records the addresses in svc's status.loadBalancer.ingress as held by svc without
// allocating anything, so that a restarted allocator gives every Service back exactly what
// it had. Call it for every Service before the first Assign. An address held by another
// Service that svc may not share with is not adopted; the error names it.
func (a *LBAllocator) Adopt(svc *corev1.Service) error {
	if !LBManages(svc) {
		return nil
	}
	key := lbKey{svc.Namespace, svc.Name}
	s := a.services[key]
	if s == nil {
		s = &lbService{key: key}
		a.services[key] = s
	}
	s.update(svc)
	return a.adoptStatus(s, svc)
}

// adoptStatus holds the addresses of svc's status.loadBalancer.ingress for s.
func (a *LBAllocator) adoptStatus(s *lbService, svc *corev1.Service) error {
	key := s.key
	var errs []error
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP == "" {
			continue
		}
		ip, err := parseLBAddr(in.IP)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s/%s: status ingress %q: %w: %v", key.namespace, key.name, in.IP, ErrLBInvalidRequest, err))
			continue
		}
		if err := a.hold(s, ip); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Release gives back every address of the Service namespace/name and forgets it.
func (a *LBAllocator) Release(namespace, name string) {
	key := lbKey{namespace, name}
	s := a.services[key]
	if s == nil {
		return
	}
	for _, ip := range slices.Clone(s.ips) {
		a.release(s, ip)
	}
	delete(a.services, key)
}

// hold gives ip to s: a free address is taken, a held one is shared when s is compatible
// with every holder.
func (a *LBAllocator) hold(s *lbService, ip netip.Addr) error {
	if s.holds(ip) {
		return nil
	}
	if h, ok := a.holding(ip); ok {
		if s.req.SharingKey == "" {
			return fmt.Errorf("service %s/%s: IP %s is already allocated to service %s/%s: %w",
				s.key.namespace, s.key.name, ip, h.holders[0].key.namespace, h.holders[0].key.name, ErrLBAlreadyAllocated)
		}
		for _, o := range h.holders {
			if ok, why := lbCompatible(s, o); !ok {
				return fmt.Errorf("service %s/%s: IP %s is shared by service %s/%s: %s: %w",
					s.key.namespace, s.key.name, ip, o.key.namespace, o.key.name, why, ErrLBIncompatibleSharing)
			}
		}
		h.holders = append(h.holders, s)
		s.addIP(ip)
		return nil
	}
	h := &lbHolding{ip: ip, sharingKey: s.req.SharingKey, holders: []*lbService{s}}
	a.used.ReplaceOrInsert(h)
	if r := a.rangeOf(ip); r != nil {
		r.free.take(ip)
	}
	if h.sharingKey != "" {
		list := a.sharing[h.sharingKey]
		i, _ := slices.BinarySearchFunc(list, ip, netip.Addr.Compare)
		a.sharing[h.sharingKey] = slices.Insert(list, i, ip)
	}
	s.addIP(ip)
	return nil
}

// release takes ip from s and frees it when no other Service holds it.
func (a *LBAllocator) release(s *lbService, ip netip.Addr) {
	s.removeIP(ip)
	h, ok := a.holding(ip)
	if !ok {
		return
	}
	if i := slices.Index(h.holders, s); i >= 0 {
		h.holders = slices.Delete(h.holders, i, i+1)
	}
	if len(h.holders) > 0 {
		return
	}
	a.used.Delete(h)
	if r := a.rangeOf(ip); r != nil {
		r.free.put(ip)
	}
	if h.sharingKey != "" {
		list := a.sharing[h.sharingKey]
		if i, ok := slices.BinarySearchFunc(list, ip, netip.Addr.Compare); ok {
			list = slices.Delete(list, i, i+1)
		}
		if len(list) == 0 {
			delete(a.sharing, h.sharingKey)
		} else {
			a.sharing[h.sharingKey] = list
		}
	}
}

// prune releases what s no longer asks for: addresses outside its requested IPs, of a
// family it dropped, or shared with Services it is no longer compatible with.
func (a *LBAllocator) prune(s *lbService) {
	for _, ip := range slices.Clone(s.ips) {
		switch {
		case len(s.req.IPs) > 0:
			if _, ok := slices.BinarySearchFunc(s.req.IPs, ip, netip.Addr.Compare); !ok {
				a.release(s, ip)
				continue
			}
		case ip.Is4() && !s.req.IPv4, ip.Is6() && !s.req.IPv6:
			a.release(s, ip)
			continue
		}
		if h, ok := a.holding(ip); ok && len(h.holders) > 1 {
			for _, o := range h.holders {
				if o == s {
					continue
				}
				if ok, _ := lbCompatible(s, o); !ok {
					a.release(s, ip)
					break
				}
			}
		}
	}
}

// satisfy allocates what s asks for and does not hold yet.
func (a *LBAllocator) satisfy(s *lbService) []error {
	var errs []error
	if len(s.req.IPs) > 0 {
		for _, ip := range s.req.IPs {
			if s.holds(ip) {
				continue
			}
			r := a.rangeOf(ip)
			switch {
			case r == nil || r.pool.disabled:
				errs = append(errs, fmt.Errorf("service %s/%s: requested IP %s: no enabled pool contains it: %w", s.key.namespace, s.key.name, ip, ErrLBNoPool))
			case r.pool.selector != nil && !r.pool.selector.Matches(s.labels):
				errs = append(errs, fmt.Errorf("service %s/%s: requested IP %s: pool %q does not select the service: %w", s.key.namespace, s.key.name, ip, r.pool.name, ErrLBSelectorMismatch))
			default:
				if err := a.hold(s, ip); err != nil {
					errs = append(errs, err)
				}
			}
		}
		return errs
	}
	for _, v6 := range []bool{false, true} {
		if (v6 && !s.req.IPv6) || (!v6 && !s.req.IPv4) || s.hasFamily(v6) {
			continue
		}
		if err := a.allocate(s, v6); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// allocate gives s one address of the family: a compatible address shared under its
// sharing key if there is one (lowest first), else the lowest free address of the first
// pool in priority order that selects s and has room.
func (a *LBAllocator) allocate(s *lbService, v6 bool) error {
	if key := s.req.SharingKey; key != "" {
		for _, ip := range a.sharing[key] {
			if ip.Is6() == v6 && a.hold(s, ip) == nil {
				return nil
			}
		}
	}
	selected := false
	for _, p := range a.order {
		if p.selector != nil && !p.selector.Matches(s.labels) {
			continue
		}
		for _, r := range p.ranges {
			if r.alloc.first.Is6() != v6 {
				continue
			}
			selected = true
			if ip, ok := r.free.lowest(); ok {
				return a.hold(s, ip)
			}
		}
	}
	fam := "IPv4"
	if v6 {
		fam = "IPv6"
	}
	if selected {
		return fmt.Errorf("service %s/%s: every enabled %s pool that selects it is full: %w", s.key.namespace, s.key.name, fam, ErrLBOutOfIPs)
	}
	return fmt.Errorf("service %s/%s: no enabled %s pool selects it: %w", s.key.namespace, s.key.name, fam, ErrLBNoPool)
}

// check reports kept addresses that their pool no longer backs.
func (a *LBAllocator) check(s *lbService) []error {
	var errs []error
	for _, ip := range s.ips {
		r := a.rangeOf(ip)
		if r == nil {
			if p := a.conflictingPoolOf(ip); p != "" {
				errs = append(errs, fmt.Errorf("service %s/%s: kept IP %s is only in conflicting pool %q: %w", s.key.namespace, s.key.name, ip, p, ErrLBConflictingPool))
			} else {
				errs = append(errs, fmt.Errorf("service %s/%s: kept IP %s is in no pool: %w", s.key.namespace, s.key.name, ip, ErrLBNotInPool))
			}
			continue
		}
		if r.pool.selector == nil || r.pool.selector.Matches(s.labels) {
			continue
		}
		if h, ok := a.holding(ip); ok && len(h.holders) == 1 {
			errs = append(errs, fmt.Errorf("service %s/%s: kept IP %s: pool %q does not select the service: %w", s.key.namespace, s.key.name, ip, r.pool.name, ErrLBSelectorMismatch))
		}
	}
	return errs
}

// conflictingPoolOf names a conflicting or invalid pool whose blocks contain ip, or "".
func (a *LBAllocator) conflictingPoolOf(ip netip.Addr) string {
	var names []string
	for _, p := range a.pools {
		if p.problem() == nil {
			continue
		}
		for _, b := range p.blocks {
			if b.alloc.contains(ip) {
				names = append(names, p.name)
				break
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return slices.Min(names)
}
