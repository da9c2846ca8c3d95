package plancheck

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	"go4.org/netipx"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// Check checks policy p, to be applied to cluster of plan, and returns every
// *Violation joined, or nil. nodes are the cluster's nodes (name -> labels) the gateway
// node selectors are checked against; a nil map skips that rule (an empty one fails
// every gateway). It returns an error wrapping ErrInvalidInput when cluster is not in
// plan or p has a value that does not parse.
func Check(p *ciliumv2.CiliumEgressGatewayPolicy, plan *mesh.Plan, cluster string, nodes map[string]map[string]string) error {
	own, ok := plan.Cluster(cluster)
	if !ok {
		return fmt.Errorf("%w: policy %q: cluster %q is not in the plan", ErrInvalidInput, p.Name, cluster)
	}
	// Own cluster first, then the others in plan order.
	clusters := []mesh.ClusterPlan{own}
	for _, c := range plan.Clusters() {
		if c.Name != cluster {
			clusters = append(clusters, c)
		}
	}
	dst, err := prefixes(p, "destination", p.Spec.DestinationCIDRs)
	if err != nil {
		return err
	}
	excl, err := prefixes(p, "excluded", p.Spec.ExcludedCIDRs)
	if err != nil {
		return err
	}
	var errs []error
	add := func(v *Violation) { errs = append(errs, v) }

	gws := p.Spec.EgressGateways
	if len(gws) == 0 && p.Spec.EgressGateway != nil {
		gws = []ciliumv2.EgressGateway{*p.Spec.EgressGateway}
	}
	for i, g := range gws {
		if g.EgressIP != "" {
			ip, err := netip.ParseAddr(g.EgressIP)
			if err != nil {
				return fmt.Errorf("%w: policy %q: gateway %d: egressIP %q: %w", ErrInvalidInput, p.Name, i, g.EgressIP, err)
			}
			for _, c := range clusters {
				if r, ok := containing(c.PodCIDRs, ip); ok {
					add(&Violation{Policy: p.Name, Rule: ErrEgressIPInPodRange, Value: g.EgressIP, Gateway: i, Cluster: c.Name, Range: r})
				}
			}
			if r, ok := containing(own.ServiceCIDRs, ip); ok {
				add(&Violation{Policy: p.Name, Rule: ErrEgressIPInServiceRange, Value: g.EgressIP, Gateway: i, Cluster: own.Name, Range: r})
			}
		}
		if nodes != nil {
			sel, err := slimv1.LabelSelectorAsSelector(g.NodeSelector)
			if g.NodeSelector == nil {
				sel, err = slimlabels.Everything(), nil
			}
			if err != nil {
				return fmt.Errorf("%w: policy %q: gateway %d: nodeSelector: %w", ErrInvalidInput, p.Name, i, err)
			}
			if !slices.ContainsFunc(slices.Sorted(maps.Keys(nodes)), func(n string) bool { return sel.Matches(slimlabels.Set(nodes[n])) }) {
				add(&Violation{Policy: p.Name, Rule: ErrGatewayMatchesNoNode, Value: sel.String(), Gateway: i})
			}
		}
	}

	var ex netipx.IPSetBuilder
	for _, e := range excl {
		ex.AddPrefix(e)
	}
	exSet, _ := ex.IPSet()
	for i, d := range dst {
		for _, c := range clusters {
			for _, pods := range c.PodCIDRs {
				if !d.Overlaps(pods) {
					continue
				}
				// The overlap is the smaller of the two prefixes.
				overlap := pods
				if d.Bits() > pods.Bits() {
					overlap = d
				}
				if !exSet.ContainsPrefix(overlap) {
					add(&Violation{Policy: p.Name, Rule: ErrDestinationCoversPods, Value: string(p.Spec.DestinationCIDRs[i]), Gateway: -1, Cluster: c.Name, Range: pods})
				}
			}
		}
	}
	for i, e := range excl {
		if !slices.ContainsFunc(dst, e.Overlaps) {
			add(&Violation{Policy: p.Name, Rule: ErrExcludedOutsideDestinations, Value: string(p.Spec.ExcludedCIDRs[i]), Gateway: -1})
		}
	}
	return errors.Join(errs...)
}

// prefixes parses a policy's CIDRs, masked.
func prefixes(p *ciliumv2.CiliumEgressGatewayPolicy, what string, cs []ciliumv2.CIDR) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cs))
	for _, c := range cs {
		pfx, err := netip.ParsePrefix(string(c))
		if err != nil {
			return nil, fmt.Errorf("%w: policy %q: %s CIDR %q: %w", ErrInvalidInput, p.Name, what, c, err)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// containing returns the first prefix of ps that contains ip.
func containing(ps []netip.Prefix, ip netip.Addr) (netip.Prefix, bool) {
	for _, r := range ps {
		if r.Contains(ip) {
			return r, true
		}
	}
	return netip.Prefix{}, false
}
