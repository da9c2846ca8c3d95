package l2

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	corev1 "k8s.io/api/core/v1"
)

// Labels that Cilium adds to a Service's own labels when matching a serviceSelector, in
// L2 announcement policies and LB IPAM pools alike (package ipam/lbipam uses these). Cilium
// v1.19 defines them unexported (pkg/l2announcer, operator/pkg/lbipam), so they live here.
const (
	// ServiceNamespaceLabel carries the Service's namespace.
	ServiceNamespaceLabel = "io.kubernetes.service.namespace"
	// ServiceNameLabel carries the Service's name.
	ServiceNameLabel = "io.kubernetes.service.name"
)

// Node is what policy matching needs to know about a node.
type Node struct {
	// Name is the node's name.
	Name string
	// Labels are the node's labels, matched by nodeSelector.
	Labels map[string]string
	// Interfaces are the node's devices that Cilium manages (e.g. "eth0"). Nil skips
	// interface matching; non-nil, a policy whose patterns match none of them does not
	// select the node.
	Interfaces []string
}

// Match is one policy under which a node announces a Service.
type Match struct {
	// Policy is the policy's name.
	Policy string
	// Interfaces are the node's interfaces the policy announces on: those matching one of
	// its patterns, or all of them when it lists none. Nil when Node.Interfaces is nil.
	Interfaces []string
	// IPs are the Service's addresses the policy announces (spec.externalIPs when
	// externalIPs is set, status.loadBalancer.ingress IPs when loadBalancerIPs is set),
	// sorted.
	IPs []netip.Addr
}

// Select returns, sorted by policy name, the policies under which node announces svc: the
// Service has no loadBalancerClass or io.cilium/l2-announcer, the policy's serviceSelector
// matches the Service's labels (plus ServiceNamespaceLabel and ServiceNameLabel), its
// nodeSelector matches the node, it announces an address kind the Service has, and its
// interface patterns match a node interface. Nil selectors match everything. Policies that
// fail ValidatePolicy are skipped and their errors returned, joined, with the matches.
// Every node that Select matches is a candidate; the Service's lease (LeaseName) elects one.
func Select(policies []*ciliumv2alpha1.CiliumL2AnnouncementPolicy, svc *corev1.Service, node Node) ([]Match, error) {
	if c := svc.Spec.LoadBalancerClass; c != nil && *c != ciliumv2alpha1.L2AnnounceLoadBalancerClass {
		return nil, nil
	}
	var ext, lb []netip.Addr
	for _, s := range svc.Spec.ExternalIPs {
		if ip, err := netip.ParseAddr(s); err == nil {
			ext = append(ext, ip)
		}
	}
	for _, in := range svc.Status.LoadBalancer.Ingress {
		if ip, err := netip.ParseAddr(in.IP); err == nil {
			lb = append(lb, ip)
		}
	}
	svcLabels := make(slimlabels.Set, len(svc.Labels)+2)
	maps.Copy(svcLabels, svc.Labels)
	svcLabels[ServiceNamespaceLabel] = svc.Namespace
	svcLabels[ServiceNameLabel] = svc.Name

	var matches []Match
	var errs []error
	for _, p := range policies {
		cp, err := compilePolicy(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !selects(cp.service, svcLabels) || !selects(cp.node, node.Labels) {
			continue
		}
		var ips []netip.Addr
		if p.Spec.ExternalIPs {
			ips = append(ips, ext...)
		}
		if p.Spec.LoadBalancerIPs {
			ips = append(ips, lb...)
		}
		if len(ips) == 0 {
			continue
		}
		slices.SortFunc(ips, netip.Addr.Compare)
		m := Match{Policy: p.Name, IPs: slices.Compact(ips)}
		if node.Interfaces != nil {
			m.Interfaces = matchInterfaces(cp.interfaces, node.Interfaces)
			if len(m.Interfaces) == 0 {
				continue
			}
		}
		matches = append(matches, m)
	}
	slices.SortFunc(matches, func(a, b Match) int { return cmp.Compare(a.Policy, b.Policy) })
	if err := errors.Join(errs...); err != nil {
		return matches, fmt.Errorf("service %s/%s on node %s: %w", svc.Namespace, svc.Name, node.Name, err)
	}
	return matches, nil
}

// selects matches a converted selector; nil selects everything.
func selects(sel slimlabels.Selector, set map[string]string) bool {
	return sel == nil || sel.Matches(slimlabels.Set(set))
}

// matchInterfaces returns the interfaces matching any pattern (all when there are none).
func matchInterfaces(res []*regexp.Regexp, ifaces []string) []string {
	if len(res) == 0 {
		return slices.Clone(ifaces)
	}
	var out []string
	for _, dev := range ifaces {
		for _, re := range res {
			if re.MatchString(dev) {
				out = append(out, dev)
				break
			}
		}
	}
	return out
}
