package lbipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Reason says why a Service's request is or is not satisfied. The values are Cilium's
// IPAMRequestSatisfied condition reasons, plus invalid_request, ip_not_in_pool and
// pool_conflict for cases Cilium does not report.
type Reason string

// Reasons of an Assignment, in the order they take precedence when several apply.
const (
	// ReasonSatisfied: every requested address is held and backed by a pool.
	ReasonSatisfied Reason = "satisfied"
	// ReasonInvalidRequest: an annotation or spec.loadBalancerIP does not parse.
	ReasonInvalidRequest Reason = "invalid_request"
	// ReasonNoPool: no enabled pool selects the Service or contains the requested IP.
	ReasonNoPool Reason = "no_pool"
	// ReasonOutOfIPs: every enabled pool that selects the Service is full.
	ReasonOutOfIPs Reason = "out_of_ips"
	// ReasonSelectorMismatch: the pool holding the address does not select the Service.
	ReasonSelectorMismatch Reason = "pool_selector_mismatch"
	// ReasonAlreadyAllocated: the requested address is held and cannot be shared.
	ReasonAlreadyAllocated Reason = "already_allocated"
	// ReasonIncompatibleShare: the requested address is shared by an incompatible Service.
	ReasonIncompatibleShare Reason = "already_allocated_incompatible_service"
	// ReasonNotInPool: a kept address lies in no pool any more.
	ReasonNotInPool Reason = "ip_not_in_pool"
	// ReasonConflictingPool: a kept address lies only in a conflicting pool.
	ReasonConflictingPool Reason = "pool_conflict"
)

// reasonOf maps each sentinel to its reason.
var reasonOf = []struct {
	err    error
	reason Reason
}{
	{ErrInvalidRequest, ReasonInvalidRequest},
	{ErrNoPool, ReasonNoPool},
	{ErrOutOfIPs, ReasonOutOfIPs},
	{ErrSelectorMismatch, ReasonSelectorMismatch},
	{ErrAlreadyAllocated, ReasonAlreadyAllocated},
	{ErrIncompatibleSharing, ReasonIncompatibleShare},
	{ErrNotInPool, ReasonNotInPool},
	{ErrConflictingPool, ReasonConflictingPool},
}

// Assignment is the outcome of Assign for one Service.
type Assignment struct {
	// Namespace and Name identify the Service.
	Namespace, Name string
	// Managed is false when LB IPAM does not serve the Service (see Manages); IPs are
	// then empty and the Service's LB status belongs to someone else.
	Managed bool
	// IPs are the addresses the Service holds, IPv4 first, each family ascending.
	IPs []netip.Addr
	// Satisfied is true when the Service holds every address it asks for and none of its
	// addresses has a problem.
	Satisfied bool
	// Reason is ReasonSatisfied or the reason of the first problem in Err.
	Reason Reason
	// Err joins every problem, each wrapping a sentinel (ErrNoPool, ...) and naming the
	// Service and the address or value; nil when Satisfied.
	Err error
}

// Assign brings svc's addresses up to date and returns them. A Service seen for the first
// time first adopts the addresses in its status.loadBalancer.ingress (see Adopt); then
// addresses it no longer asks for are released, missing ones allocated, and kept ones
// checked against the pools. An unmanaged Service releases everything.
func (a *Allocator) Assign(svc *corev1.Service) Assignment {
	res := Assignment{Namespace: svc.Namespace, Name: svc.Name}
	if !Manages(svc) {
		a.Release(svc.Namespace, svc.Name)
		return res
	}
	res.Managed = true
	key := serviceKey{svc.Namespace, svc.Name}
	s := a.services[key]
	if s == nil {
		s = &serviceState{key: key}
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
	res.Reason = ReasonSatisfied
	if res.Err != nil {
		res.Reason = reasonFor(errs[0])
	}
	return res
}

func reasonFor(err error) Reason {
	for _, r := range reasonOf {
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
func (a *Allocator) Adopt(svc *corev1.Service) error {
	if !Manages(svc) {
		return nil
	}
	key := serviceKey{svc.Namespace, svc.Name}
	s := a.services[key]
	if s == nil {
		s = &serviceState{key: key}
		a.services[key] = s
	}
	s.update(svc)
	return a.adoptStatus(s, svc)
}

// adoptStatus holds the addresses of svc's status.loadBalancer.ingress for s.
func (a *Allocator) adoptStatus(s *serviceState, svc *corev1.Service) error {
	key := s.key
	var errs []error
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP == "" {
			continue
		}
		ip, err := parseAddr(in.IP)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s/%s: status ingress %q: %w: %v", key.namespace, key.name, in.IP, ErrInvalidRequest, err))
			continue
		}
		if err := a.hold(s, ip); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Release gives back every address of the Service namespace/name and forgets it.
func (a *Allocator) Release(namespace, name string) {
	key := serviceKey{namespace, name}
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
func (a *Allocator) hold(s *serviceState, ip netip.Addr) error {
	if s.holds(ip) {
		return nil
	}
	if h, ok := a.held(ip); ok {
		if s.req.SharingKey == "" {
			return fmt.Errorf("service %s/%s: IP %s is already allocated to service %s/%s: %w",
				s.key.namespace, s.key.name, ip, h.holders[0].key.namespace, h.holders[0].key.name, ErrAlreadyAllocated)
		}
		for _, o := range h.holders {
			if ok, why := compatible(s, o); !ok {
				return fmt.Errorf("service %s/%s: IP %s is shared by service %s/%s: %s: %w",
					s.key.namespace, s.key.name, ip, o.key.namespace, o.key.name, why, ErrIncompatibleSharing)
			}
		}
		h.holders = append(h.holders, s)
		s.addIP(ip)
		return nil
	}
	h := &holding{ip: ip, sharingKey: s.req.SharingKey, holders: []*serviceState{s}}
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
func (a *Allocator) release(s *serviceState, ip netip.Addr) {
	s.removeIP(ip)
	h, ok := a.held(ip)
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
func (a *Allocator) prune(s *serviceState) {
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
		if h, ok := a.held(ip); ok && len(h.holders) > 1 {
			for _, o := range h.holders {
				if o == s {
					continue
				}
				if ok, _ := compatible(s, o); !ok {
					a.release(s, ip)
					break
				}
			}
		}
	}
}

// satisfy allocates what s asks for and does not hold yet.
func (a *Allocator) satisfy(s *serviceState) []error {
	var errs []error
	if len(s.req.IPs) > 0 {
		for _, ip := range s.req.IPs {
			if s.holds(ip) {
				continue
			}
			r := a.rangeOf(ip)
			switch {
			case r == nil || r.pool.disabled:
				errs = append(errs, fmt.Errorf("service %s/%s: requested IP %s: no enabled pool contains it: %w", s.key.namespace, s.key.name, ip, ErrNoPool))
			case r.pool.selector != nil && !r.pool.selector.Matches(s.labels):
				errs = append(errs, fmt.Errorf("service %s/%s: requested IP %s: pool %q does not select the service: %w", s.key.namespace, s.key.name, ip, r.pool.name, ErrSelectorMismatch))
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
func (a *Allocator) allocate(s *serviceState, v6 bool) error {
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
			if r.first.Is6() != v6 {
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
		return fmt.Errorf("service %s/%s: every enabled %s pool that selects it is full: %w", s.key.namespace, s.key.name, fam, ErrOutOfIPs)
	}
	return fmt.Errorf("service %s/%s: no enabled %s pool selects it: %w", s.key.namespace, s.key.name, fam, ErrNoPool)
}

// check reports kept addresses that their pool no longer backs.
func (a *Allocator) check(s *serviceState) []error {
	var errs []error
	for _, ip := range s.ips {
		r := a.rangeOf(ip)
		if r == nil {
			if p := a.conflictingPoolOf(ip); p != "" {
				errs = append(errs, fmt.Errorf("service %s/%s: kept IP %s is only in conflicting pool %q: %w", s.key.namespace, s.key.name, ip, p, ErrConflictingPool))
			} else {
				errs = append(errs, fmt.Errorf("service %s/%s: kept IP %s is in no pool: %w", s.key.namespace, s.key.name, ip, ErrNotInPool))
			}
			continue
		}
		if r.pool.selector == nil || r.pool.selector.Matches(s.labels) {
			continue
		}
		if h, ok := a.held(ip); ok && len(h.holders) == 1 {
			errs = append(errs, fmt.Errorf("service %s/%s: kept IP %s: pool %q does not select the service: %w", s.key.namespace, s.key.name, ip, r.pool.name, ErrSelectorMismatch))
		}
	}
	return errs
}

// conflictingPoolOf names a conflicting or invalid pool whose blocks contain ip, or "".
func (a *Allocator) conflictingPoolOf(ip netip.Addr) string {
	var names []string
	for _, p := range a.pools {
		if p.problem() == nil {
			continue
		}
		for _, b := range p.blocks {
			if b.alloc.Contains(ip) {
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
