package egress

import (
	"errors"
	"fmt"
	"maps"
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
	// NodeSelector selects the gateway node by labels (the first matching node by name).
	NodeSelector map[string]string
	// Interface is the interface whose first IPv4 address traffic is SNATed to.
	Interface string
	// EgressIP is the IPv4 address traffic is SNATed to; the zero Addr means unset.
	EgressIP netip.Addr
}

// PolicyBuilder builds a cilium.io/v2 CiliumEgressGatewayPolicy. Methods append and return
// the builder; Build validates everything and reports every problem at once.
type PolicyBuilder struct {
	name      string
	selectors []ciliumv2.EgressRule
	dst, excl []netip.Prefix
	gateways  []GatewaySpec
}

// NewPolicy starts a policy with the given object name (cluster-scoped).
func NewPolicy(name string) *PolicyBuilder { return &PolicyBuilder{name: name} }

// SelectPods adds a selector for pods with all the given labels in namespaces with all the
// given namespace labels (nil = any namespace).
func (b *PolicyBuilder) SelectPods(podLabels, namespaceLabels map[string]string) *PolicyBuilder {
	r := ciliumv2.EgressRule{PodSelector: &slimv1.LabelSelector{MatchLabels: maps.Clone(podLabels)}}
	if namespaceLabels != nil {
		r.NamespaceSelector = &slimv1.LabelSelector{MatchLabels: maps.Clone(namespaceLabels)}
	}
	b.selectors = append(b.selectors, r)
	return b
}

// Destinations adds destination CIDRs whose traffic goes through the gateways.
func (b *PolicyBuilder) Destinations(p ...netip.Prefix) *PolicyBuilder {
	b.dst = append(b.dst, p...)
	return b
}

// Exclude adds destination CIDRs exempt from the policy.
func (b *PolicyBuilder) Exclude(p ...netip.Prefix) *PolicyBuilder {
	b.excl = append(b.excl, p...)
	return b
}

// Gateway adds a gateway entry; at most MaxGateways are allowed.
func (b *PolicyBuilder) Gateway(g GatewaySpec) *PolicyBuilder {
	b.gateways = append(b.gateways, g)
	return b
}

// Build validates the policy and returns it, or every problem joined, each wrapping
// ErrInvalidPolicy. With one gateway the policy uses spec.egressGateway; with several it
// lists them all in spec.egressGateways (and the first in egressGateway, which Cilium then
// ignores).
func (b *PolicyBuilder) Build() (*ciliumv2.CiliumEgressGatewayPolicy, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w %q: "+format, append([]any{ErrInvalidPolicy, b.name}, a...)...))
	}
	if b.name == "" {
		bad("empty name")
	}
	if len(b.selectors) == 0 {
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
	spec := ciliumv2.CiliumEgressGatewayPolicySpec{
		Selectors:        b.selectors,
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
			NodeSelector: &slimv1.LabelSelector{MatchLabels: maps.Clone(g.NodeSelector)},
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
	spec.EgressGateway = &gws[0]
	if len(gws) > 1 {
		spec.EgressGateways = gws
	}
	return &ciliumv2.CiliumEgressGatewayPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "cilium.io/v2", Kind: "CiliumEgressGatewayPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		Spec:       spec,
	}, nil
}
