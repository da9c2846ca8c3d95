package lbipam

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// observe applies what another writer put into svc's status.loadBalancer.ingress to s,
// a Service the allocator already knows, and returns one error per ingress address it
// refused. This is the rule for a Service whose address someone else changed:
//
//   - An address s already holds changes nothing, and an address s holds that the status
//     no longer shows stays held: the controller writes it back.
//   - A new address is adopted when it is one s may have: of a family s asks for (and, for
//     a Service that names its IPs in lbipam.cilium.io/ips or spec.loadBalancerIP, one of
//     them), inside an enabled, valid, non-conflicting pool that selects s, and free, or
//     held under s's sharing key by Services s is compatible with. It then replaces the
//     address s held of that family (which is freed), so that the other writer's choice
//     stands and nothing is held twice. At most one new address per family is adopted.
//   - Any other new address is refused, and s keeps what it held: an address another
//     Service holds (ErrAlreadyAllocated, ErrIncompatibleSharing), outside every enabled
//     pool (ErrNoPool), of a pool that does not select s (ErrSelectorMismatch), not
//     requested (ErrNotRequested) or unparsable (ErrInvalidRequest).
//
// So no change by another writer can give one address to two Services.
func (a *Allocator) observe(s *serviceState, svc *corev1.Service) []error {
	var refused []error
	var adopted [2]bool // IPv4, IPv6
	refuse := func(ip string, why string, sentinel error) {
		refused = append(refused, fmt.Errorf("service %s/%s: status ingress %s written by another writer: %s: %w",
			s.key.namespace, s.key.name, ip, why, sentinel))
	}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP == "" {
			continue
		}
		ip, err := parseAddr(in.IP)
		if err != nil {
			refuse(fmt.Sprintf("%q", in.IP), err.Error(), ErrInvalidRequest)
			continue
		}
		if s.holds(ip) {
			continue
		}
		fam := 0
		if ip.Is6() {
			fam = 1
		}
		switch {
		case s.reqErr != nil:
			refuse(ip.String(), "the service's request does not parse", ErrInvalidRequest)
			continue
		case len(s.req.IPs) > 0:
			if _, ok := slices.BinarySearchFunc(s.req.IPs, ip, netip.Addr.Compare); !ok {
				refuse(ip.String(), "not one of the IPs the service requests", ErrNotRequested)
				continue
			}
		case ip.Is4() && !s.req.IPv4, ip.Is6() && !s.req.IPv6:
			refuse(ip.String(), "of a family the service does not request", ErrNotRequested)
			continue
		case adopted[fam]:
			refuse(ip.String(), "a second new address of its family", ErrNotRequested)
			continue
		}
		r := a.rangeOf(ip)
		switch {
		case r == nil || r.pool.disabled:
			refuse(ip.String(), "no enabled pool contains it", ErrNoPool)
			continue
		case r.pool.selector != nil && !r.pool.selector.Matches(s.labels()):
			refuse(ip.String(), fmt.Sprintf("pool %q does not select the service", r.pool.name), ErrSelectorMismatch)
			continue
		}
		if err := a.hold(s, ip); err != nil {
			refused = append(refused, fmt.Errorf("status ingress %s written by another writer refused: %w", ip, err))
			continue
		}
		adopted[fam] = true
		if len(s.req.IPs) > 0 {
			continue // the other requested IPs stay
		}
		for _, old := range slices.Clone(s.ips) {
			if old != ip && old.Is6() == ip.Is6() && !inIngress(svc, old) {
				a.release(s, old)
			}
		}
	}
	return refused
}

// inIngress reports whether ip is one of svc's status ingress addresses.
func inIngress(svc *corev1.Service, ip netip.Addr) bool {
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if got, err := parseAddr(in.IP); err == nil && got == ip {
			return true
		}
	}
	return false
}

// diverges reports whether svc, as observed, disagrees with what the allocator holds for
// it: it holds addresses for a Service that is no longer managed, or the status ingress
// addresses differ from the held ones. The controller re-reads such a Service from the
// API server before acting on it, so that a stale cache never moves an address.
func (a *Allocator) diverges(svc *corev1.Service) bool {
	s := a.services.get(svc.Namespace, svc.Name)
	if s == nil {
		return false
	}
	if !Manages(svc) {
		return len(s.ips) > 0
	}
	n := 0
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP == "" {
			continue
		}
		ip, err := parseAddr(in.IP)
		if err != nil || !s.holds(ip) {
			return true
		}
		n++
	}
	return n != len(s.ips)
}

// holdsAny reports whether the allocator holds addresses for the Service namespace/name.
func (a *Allocator) holdsAny(namespace, name string) bool {
	s := a.services.get(namespace, name)
	return s != nil && len(s.ips) > 0
}
