package resolve

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"

	"github.com/ciliumkit/ciliumkit/egress"
)

// Resolve computes the datapath entries of every policy of s, judging gateway health at
// now (Lease expiry), as the package documentation describes. A nil opts selects the
// defaults. Problems of one policy (invalid, conflicting) are reported in its
// Policy.Err and do not affect the others. s is not modified.
func Resolve(s *State, now time.Time, opts *Options) Result {
	var o Options
	if opts != nil {
		o = *opts
	}
	nodes := nodesOf(s.Nodes, s.Leases, now, &o)
	eps := endpointsOf(s.Endpoints)
	pols := slices.Clone(s.Policies)
	slices.SortFunc(pols, func(a, b *ciliumv2.CiliumEgressGatewayPolicy) int { return strings.Compare(a.Name, b.Name) })

	var res Result
	owner := map[[2]string]string{} // source, destination -> policy
	for _, p := range pols {
		pr, entries := resolvePolicy(p, nodes, eps)
		var conflicts []error
		for _, e := range ownEntries(entries) {
			k := [2]string{e.Source.String(), e.Destination.String()}
			if first, ok := owner[k]; ok {
				conflicts = append(conflicts, fmt.Errorf("%w: policy %q: %v -> %v is already set by policy %q", ErrConflict, p.Name, e.Source, e.Destination, first))
				continue
			}
			owner[k] = p.Name
			res.Entries = append(res.Entries, e)
		}
		if len(conflicts) > 0 {
			pr.Err = errors.Join(append([]error{pr.Err}, conflicts...)...)
		}
		res.Policies = append(res.Policies, pr)
	}
	return res
}

// ownEntries returns entries without repeated (source, destination) pairs: as in Cilium,
// which writes a policy's excluded CIDRs after its destinations, the later entry wins.
func ownEntries(entries []egress.Entry) []egress.Entry {
	at := map[[2]string]int{}
	var out []egress.Entry
	for _, e := range entries {
		k := [2]string{e.Source.String(), e.Destination.String()}
		if i, ok := at[k]; ok {
			out[i] = e
			continue
		}
		at[k] = len(out)
		out = append(out, e)
	}
	return out
}

// resolvePolicy resolves one policy: its gateways, endpoints and entries.
func resolvePolicy(p *ciliumv2.CiliumEgressGatewayPolicy, nodes []nodeInfo, eps []endpointInfo) (Policy, []egress.Entry) {
	pr := Policy{Name: p.Name}
	invalid := func(format string, a ...any) (Policy, []egress.Entry) {
		pr.Err = fmt.Errorf("%w %q: "+format, append([]any{ErrInvalidPolicy, p.Name}, a...)...)
		return pr, nil
	}
	spec := &p.Spec
	if len(spec.DestinationCIDRs) == 0 {
		return invalid("no destinationCIDRs")
	}
	parse := func(what string, cs []ciliumv2.CIDR) ([]netip.Prefix, error) {
		var out []netip.Prefix
		for _, c := range cs {
			pfx, err := netip.ParsePrefix(string(c))
			if err != nil {
				return nil, fmt.Errorf("%s CIDR %q: %w", what, c, err)
			}
			out = append(out, pfx)
		}
		return out, nil
	}
	dst, err := parse("destination", spec.DestinationCIDRs)
	if err != nil {
		return invalid("%v", err)
	}
	excl, err := parse("excluded", spec.ExcludedCIDRs)
	if err != nil {
		return invalid("%v", err)
	}
	var sels []endpointSelector
	var nodeSels []slimlabels.Selector
	for i, r := range spec.Selectors {
		es, err := endpointSelectorOf(r)
		if err != nil {
			return invalid("selectors[%d]: %v", i, err)
		}
		sels = append(sels, es)
		if r.NodeSelector != nil {
			ns, err := selectorOf(r.NodeSelector, "")
			if err != nil {
				return invalid("selectors[%d].nodeSelector: %v", i, err)
			}
			nodeSels = append(nodeSels, ns)
		}
	}
	specs := spec.EgressGateways
	if len(specs) == 0 {
		if spec.EgressGateway == nil {
			return invalid("no egressGateway")
		}
		specs = []ciliumv2.EgressGateway{*spec.EgressGateway}
	}
	gws := make([]egress.Gateway, 0, len(specs))
	for i, g := range specs {
		rg, err := resolveGateway(g, nodes)
		if err != nil {
			return invalid("gateway %d: %v", i, err)
		}
		pr.Gateways = append(pr.Gateways, rg)
		gws = append(gws, rg.Gateway)
	}

	nodeLabels := map[netip.Addr]slimlabels.Set{}
	for _, n := range nodes {
		if n.ip.IsValid() {
			nodeLabels[n.ip] = n.labels
		}
	}
	var selected []egress.Endpoint
	for _, e := range eps {
		if !matchesAny(sels, e.labels) || len(nodeSels) > 0 && !nodeMatches(nodeSels, nodeLabels[e.nodeIP]) {
			continue
		}
		gw := egress.NoGateway()
		if g, err := egress.SelectGateway(e.uid, gws); err == nil {
			gw = g.IP
		}
		pr.Endpoints = append(pr.Endpoints, Endpoint{Namespace: e.namespace, Name: e.name, UID: e.uid, IPs: e.ips, Gateway: gw})
		selected = append(selected, egress.Endpoint{UID: e.uid, IPs: e.ips})
	}
	return pr, egress.Entries(selected, dst, excl, gws)
}

// resolveGateway picks the node of one gateway entry: the first matching node by name
// that is up, else the first matching one (down).
func resolveGateway(g ciliumv2.EgressGateway, nodes []nodeInfo) (Gateway, error) {
	sel, err := selectorOf(g.NodeSelector, "")
	if err != nil {
		return Gateway{}, fmt.Errorf("nodeSelector: %w", err)
	}
	rg := Gateway{Gateway: egress.Gateway{IP: egress.NoGateway(), EgressIP: egress.NoGateway(), Down: true}}
	var first *nodeInfo
	for i := range nodes {
		n := &nodes[i]
		if !n.ip.IsValid() || !sel.Matches(n.labels) {
			continue
		}
		if first == nil {
			first = n
		}
		if n.up {
			first = n
			break
		}
	}
	if first == nil {
		rg.Reason = fmt.Sprintf("no node with an IPv4 InternalIP matches nodeSelector %v", sel)
	} else {
		rg.Node, rg.IP, rg.Down, rg.Reason = first.name, first.ip, !first.up, first.reason
	}
	switch {
	case g.EgressIP != "":
		ip, err := netip.ParseAddr(g.EgressIP)
		if err != nil || !ip.Is4() || ip.IsUnspecified() {
			return Gateway{}, fmt.Errorf("egressIP %q is not an IPv4 unicast address", g.EgressIP)
		}
		rg.EgressIP = ip
	case !rg.Down:
		rg.Down = true
		rg.Reason = fmt.Sprintf("no egressIP (interface %q): ciliumkit's datapath SNATs to an egressIP only", g.Interface)
	}
	return rg, nil
}

func matchesAny(sels []endpointSelector, l slimlabels.Set) bool {
	for _, s := range sels {
		if s.matches(l) {
			return true
		}
	}
	return false
}

func nodeMatches(sels []slimlabels.Selector, l slimlabels.Set) bool {
	for _, s := range sels {
		if l != nil && s.Matches(l) {
			return true
		}
	}
	return false
}
