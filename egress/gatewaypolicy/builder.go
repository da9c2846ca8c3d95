package gatewaypolicy

import (
	"errors"
	"fmt"
	"net/netip"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MaxGateways is the most egressGateways a policy may list (Cilium's limit).
const MaxGateways = 64

// GatewaySpec is one gateway entry of a policy: the nodes it selects and how they SNAT.
// Interface and EgressIP are mutually exclusive; with neither, Cilium uses the first IPv4
// address of the interface with the default route.
type GatewaySpec struct {
	// NodeSelector selects the gateway node; of several matching nodes Cilium uses the
	// first by name. Nil selects every node (an empty selector is written). Build
	// deep-copies it.
	NodeSelector *slimv1.LabelSelector
	// Interface is the interface whose first IPv4 address traffic is SNATed to; empty
	// means unset.
	Interface string
	// EgressIP is the IPv4 address traffic is SNATed to; the zero Addr means unset.
	EgressIP netip.Addr
}

// podRule is one SelectPods call.
type podRule struct {
	pods, namespaces *slimv1.LabelSelector
}

// Builder builds a cilium.io/v2 CiliumEgressGatewayPolicy. Its methods record their
// arguments and return the builder; Build validates everything and reports every problem
// at once. Build deep-copies every selector, so the policy shares no memory with the
// inputs and the builder may be reused.
type Builder struct {
	name      string
	rules     []podRule
	dst, excl []netip.Prefix
	gateways  []GatewaySpec
}

// New starts a policy with the given object name (cluster-scoped, non-empty).
func New(name string) *Builder { return &Builder{name: name} }

// SelectPods adds a selector rule (spec.selectors[]): the pods matching podSelector in the
// namespaces matching namespaceSelector. A nil podSelector selects every pod (an empty
// selector is written); a nil namespaceSelector leaves it out, so that pods of any
// namespace match. If called multiple times, values are appended: a pod matching any rule
// is selected.
func (b *Builder) SelectPods(podSelector, namespaceSelector *slimv1.LabelSelector) *Builder {
	b.rules = append(b.rules, podRule{pods: podSelector, namespaces: namespaceSelector})
	return b
}

// Destinations adds destination CIDRs (spec.destinationCIDRs) whose traffic goes through
// the gateways; they are written masked. If called multiple times, values are appended.
func (b *Builder) Destinations(p ...netip.Prefix) *Builder {
	b.dst = append(b.dst, p...)
	return b
}

// Exclude adds destination CIDRs (spec.excludedCIDRs) exempt from the policy; they are
// written masked. If called multiple times, values are appended.
func (b *Builder) Exclude(p ...netip.Prefix) *Builder {
	b.excl = append(b.excl, p...)
	return b
}

// Gateway adds a gateway entry; at most MaxGateways are allowed. If called multiple times,
// values are appended, in order: the first is also written as spec.egressGateway.
func (b *Builder) Gateway(g GatewaySpec) *Builder {
	b.gateways = append(b.gateways, g)
	return b
}

// Build validates the policy and returns it, or every problem joined, each wrapping
// ErrInvalid: an empty name, no pod selector, no destination CIDR, an invalid CIDR, a
// selector that does not convert to a label selector (bad operator or values), no gateway
// or more than MaxGateways, a gateway with both Interface and EgressIP, or a non-IPv4
// EgressIP. With one gateway the policy uses spec.egressGateway; with several it lists them
// all in spec.egressGateways (and the first in egressGateway, which Cilium then ignores).
func (b *Builder) Build() (*ciliumv2.CiliumEgressGatewayPolicy, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w %q: "+format, append([]any{ErrInvalid, b.name}, a...)...))
	}
	// selector deep-copies sel, or returns an empty selector for nil, and checks it.
	selector := func(what string, sel *slimv1.LabelSelector) *slimv1.LabelSelector {
		if sel == nil {
			return &slimv1.LabelSelector{}
		}
		if _, err := slimv1.LabelSelectorAsSelector(sel); err != nil {
			bad("%s: %v", what, err)
		}
		return sel.DeepCopy()
	}
	if b.name == "" {
		bad("empty name")
	}
	if len(b.rules) == 0 {
		bad("no pod selector")
	}
	if len(b.dst) == 0 {
		bad("no destination CIDR")
	}
	toCIDRs := func(what string, ps []netip.Prefix) []ciliumv2.CIDR {
		var out []ciliumv2.CIDR
		for _, p := range ps {
			if !p.IsValid() {
				bad("%s CIDR %v is invalid", what, p)
				continue
			}
			out = append(out, ciliumv2.CIDR(p.Masked().String()))
		}
		return out
	}
	var rules []ciliumv2.EgressRule
	for i, r := range b.rules {
		rule := ciliumv2.EgressRule{PodSelector: selector(fmt.Sprintf("selectors[%d].podSelector", i), r.pods)}
		if r.namespaces != nil {
			rule.NamespaceSelector = selector(fmt.Sprintf("selectors[%d].namespaceSelector", i), r.namespaces)
		}
		rules = append(rules, rule)
	}
	spec := ciliumv2.CiliumEgressGatewayPolicySpec{
		Selectors:        rules,
		DestinationCIDRs: toCIDRs("destination", b.dst),
		ExcludedCIDRs:    toCIDRs("excluded", b.excl),
	}
	switch n := len(b.gateways); {
	case n == 0:
		bad("no egress gateway")
	case n > MaxGateways:
		bad("%d egress gateways, at most %d allowed", n, MaxGateways)
	}
	var gws []ciliumv2.EgressGateway
	for i, g := range b.gateways {
		if g.Interface != "" && g.EgressIP.IsValid() {
			bad("gateway %d: interface %q and egressIP %v are mutually exclusive", i, g.Interface, g.EgressIP)
		}
		if g.EgressIP.IsValid() && !g.EgressIP.Is4() {
			bad("gateway %d: egressIP %v is not IPv4", i, g.EgressIP)
		}
		gw := ciliumv2.EgressGateway{
			NodeSelector: selector(fmt.Sprintf("gateway %d: nodeSelector", i), g.NodeSelector),
			Interface:    g.Interface,
		}
		if g.EgressIP.IsValid() {
			gw.EgressIP = g.EgressIP.String()
		}
		gws = append(gws, gw)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	spec.EgressGateway = gws[0].DeepCopy()
	if len(gws) > 1 {
		spec.EgressGateways = gws
	}
	return &ciliumv2.CiliumEgressGatewayPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "cilium.io/v2", Kind: "CiliumEgressGatewayPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		Spec:       spec,
	}, nil
}
