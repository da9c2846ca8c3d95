package lbipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Reason says why a Service's request is or is not satisfied. The values are Cilium's
// IPAMRequestSatisfied condition reasons, plus invalid_request, ip_not_in_pool,
// pool_conflict and not_requested for cases Cilium does not report.
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
	// ReasonNotRequested: another writer put an address into the Service's status that
	// the Service does not ask for (Assignment.RefusedReason only).
	ReasonNotRequested Reason = "not_requested"
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
	{ErrNotRequested, ReasonNotRequested},
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
	// Refused joins one error per address that another writer put into the Service's
	// status.loadBalancer.ingress and that Assign did not take over (see Assign), each
	// naming the Service and the address and wrapping ErrAlreadyAllocated,
	// ErrIncompatibleSharing, ErrNoPool, ErrSelectorMismatch, ErrNotRequested or
	// ErrInvalidRequest; IPs are then what the Service held before, to be written back.
	// nil when the status shows nothing new, or what it showed was adopted.
	Refused error
	// RefusedReason is the Reason of the first error in Refused, or "".
	RefusedReason Reason
}

// Assign brings svc's addresses up to date and returns them. svc is the Service as last
// read; pass each Service's versions in the order they were written (an informer does),
// never an older one after a newer.
//
// A Service seen for the first time first adopts the addresses in its
// status.loadBalancer.ingress (see Adopt). For a Service already known, Assign compares
// that status with what the Service holds on every call, so a change made by another
// writer is seen whenever it happens: a new address that the Service may have (of a
// requested family and, when it names IPs, one of them; inside an enabled, valid pool
// that selects it; free, or shared compatibly under its sharing key) is adopted and
// replaces the held address of its family, which is freed; any other new address is
// refused and reported in Assignment.Refused, and the Service keeps what it held, so
// that a caller writing IPs back restores it. An address the status dropped stays held.
// No change by another writer ever gives one address to two Services.
//
// Then addresses the Service no longer asks for are released, missing ones allocated,
// and kept ones checked against the pools. An unmanaged Service releases everything.
func (a *Allocator) Assign(svc *corev1.Service) Assignment {
	res := Assignment{Namespace: svc.Namespace, Name: svc.Name}
	if !Manages(svc) {
		a.Release(svc.Namespace, svc.Name)
		return res
	}
	res.Managed = true
	s, added := a.services.getOrAdd(svc.Namespace, svc.Name, a.newService)
	var refused []error
	if added {
		s.update(svc)
		_ = a.adoptStatus(s, svc)
	} else {
		s.update(svc)
		refused = a.observe(s, svc)
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
	res.IPs = a.resultIPs(s.ips)
	res.Err = errors.Join(errs...)
	res.Refused = errors.Join(refused...)
	if len(refused) > 0 {
		res.RefusedReason = reasonFor(refused[0])
	}
	res.Satisfied = res.Err == nil && len(res.IPs) > 0
	res.Reason = ReasonSatisfied
	if res.Err != nil {
		res.Reason = reasonFor(errs[0])
	}
	return res
}

// resultIPs returns a copy of ips for an Assignment, carved out of a shared batch so that
// a bulk assignment does not allocate once per Service; each copy has its own elements
// and a capacity of its length, so appending to one never touches another.
func (a *Allocator) resultIPs(ips []netip.Addr) []netip.Addr {
	n := len(ips)
	if n == 0 {
		return nil
	}
	if len(a.spareIPs) < n {
		a.spareIPs = make([]netip.Addr, max(allocBatch*2, n))
	}
	out := a.spareIPs[:n:n]
	a.spareIPs = a.spareIPs[n:]
	copy(out, ips)
	return out
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
	s, _ := a.services.getOrAdd(svc.Namespace, svc.Name, a.newService)
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
	s := a.services.get(namespace, name)
	if s == nil {
		return
	}
	for _, ip := range slices.Clone(s.ips) {
		a.release(s, ip)
	}
	a.services.remove(namespace, name)
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
	if r := a.rangeOf(ip); r != nil {
		r.free.take(ip)
	}
	a.holdFree(s, ip)
	return nil
}

// holdFree gives ip, which nobody holds and which is already out of its range's free
// set, to s.
func (a *Allocator) holdFree(s *serviceState, ip netip.Addr) {
	h := a.newHolding(ip, s)
	a.used.set(ip, h)
	if h.sharingKey != "" {
		list := a.sharing[h.sharingKey]
		i, _ := slices.BinarySearchFunc(list, ip, netip.Addr.Compare)
		a.sharing[h.sharingKey] = slices.Insert(list, i, ip)
	}
	s.addIP(ip)
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
	sharingKey := h.sharingKey
	a.dropHolding(h)
	if r := a.rangeOf(ip); r != nil {
		r.free.put(ip)
	}
	if sharingKey != "" {
		list := a.sharing[sharingKey]
		if i, ok := slices.BinarySearchFunc(list, ip, netip.Addr.Compare); ok {
			list = slices.Delete(list, i, i+1)
		}
		if len(list) == 0 {
			delete(a.sharing, sharingKey)
		} else {
			a.sharing[sharingKey] = list
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
			case r.pool.selector != nil && !r.pool.selector.Matches(s.labels()):
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
		if p.selector != nil && !p.selector.Matches(s.labels()) {
			continue
		}
		for _, r := range p.ranges {
			if r.first.Is6() != v6 {
				continue
			}
			selected = true
			if ip, ok := r.free.takeLowest(); ok {
				a.holdFree(s, ip)
				return nil
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
		if r.pool.selector == nil || r.pool.selector.Matches(s.labels()) {
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
