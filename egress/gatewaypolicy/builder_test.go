package gatewaypolicy

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
)

func TestPolicyBuild(t *testing.T) {
	node := &slimv1.LabelSelector{MatchLabels: map[string]string{"egress-node": "true"}}
	base := func() *Builder {
		return New("egress-sample").
			SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"app": "test"}},
				&slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "default"}}).
			Destinations(netip.MustParsePrefix("0.0.0.0/0")).
			Exclude(netip.MustParsePrefix("10.0.0.0/8"))
	}
	tests := []struct {
		name  string
		b     *Builder
		wants []string // substrings of the joined error; empty = valid
	}{
		{"one gateway with egressIP", base().Gateway(GatewaySpec{NodeSelector: node, EgressIP: netip.MustParseAddr("192.168.1.100")}), nil},
		{"one gateway with interface", base().Gateway(GatewaySpec{NodeSelector: node, Interface: "eth1"}), nil},
		{"both interface and egressIP", base().Gateway(GatewaySpec{NodeSelector: node, Interface: "eth1", EgressIP: netip.MustParseAddr("192.168.1.100")}),
			[]string{"mutually exclusive"}},
		{"no gateway, no selector, no destination", New("x"), []string{"no egress gateway", "no pod selector", "no destination CIDR"}},
		{"65 gateways", func() *Builder {
			b := base()
			for range 65 {
				b.Gateway(GatewaySpec{NodeSelector: node})
			}
			return b
		}(), []string{"65 egress gateways, at most 64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.b.Build()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if p.Spec.EgressGateway == nil || len(p.Spec.DestinationCIDRs) != 1 || p.Spec.ExcludedCIDRs[0] != "10.0.0.0/8" {
					t.Fatalf("bad spec: %+v", p.Spec)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}

	b := base()
	for range 64 {
		b.Gateway(GatewaySpec{NodeSelector: node})
	}
	p, err := b.Build()
	if err != nil || len(p.Spec.EgressGateways) != 64 {
		t.Fatalf("64 gateways: %v, %d listed", err, len(p.Spec.EgressGateways))
	}
}

func TestPolicySelectors(t *testing.T) {
	pods := &slimv1.LabelSelector{MatchLabels: map[string]string{"app": "test"}}
	ns := &slimv1.LabelSelector{MatchExpressions: []slimv1.LabelSelectorRequirement{
		{Key: "kubernetes.io/metadata.name", Operator: slimv1.LabelSelectorOpIn, Values: []string{"a", "b"}}}}
	node := &slimv1.LabelSelector{MatchLabels: map[string]string{"egress-node": "true"}}
	b := New("sel").
		SelectPods(pods, ns).
		SelectPods(nil, nil).
		Destinations(netip.MustParsePrefix("1.1.1.7/24")).
		Gateway(GatewaySpec{NodeSelector: node}).
		Gateway(GatewaySpec{})
	p, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	s := p.Spec
	if len(s.Selectors) != 2 || s.Selectors[0].PodSelector.MatchLabels["app"] != "test" ||
		len(s.Selectors[0].NamespaceSelector.MatchExpressions) != 1 {
		t.Fatalf("selectors %+v", s.Selectors)
	}
	// Nil selects everything: an empty pod selector, no namespace selector.
	if sel := s.Selectors[1]; sel.PodSelector == nil || len(sel.PodSelector.MatchLabels)+len(sel.PodSelector.MatchExpressions) != 0 || sel.NamespaceSelector != nil {
		t.Errorf("nil selectors written as %+v", sel)
	}
	if len(s.EgressGateways) != 2 || s.EgressGateways[1].NodeSelector == nil || s.DestinationCIDRs[0] != "1.1.1.0/24" {
		t.Fatalf("spec %+v", s)
	}
	if s.EgressGateway == &s.EgressGateways[0] || s.EgressGateway.NodeSelector.MatchLabels["egress-node"] != "true" {
		t.Errorf("egressGateway %+v", s.EgressGateway)
	}
	// Build deep-copies: changing the inputs or the result afterwards changes neither.
	pods.MatchLabels["app"] = "other"
	ns.MatchExpressions[0].Values[0] = "z"
	node.MatchLabels["egress-node"] = "false"
	if s.Selectors[0].PodSelector.MatchLabels["app"] != "test" || s.Selectors[0].NamespaceSelector.MatchExpressions[0].Values[0] != "a" ||
		s.EgressGateways[0].NodeSelector.MatchLabels["egress-node"] != "true" {
		t.Errorf("policy changed with its inputs: %+v", s)
	}
	p2, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	p2.Spec.EgressGateways[1].NodeSelector.MatchLabels = map[string]string{"x": "y"}
	if len(s.EgressGateways[1].NodeSelector.MatchLabels) != 0 {
		t.Errorf("two builds share a selector")
	}

	bad := &slimv1.LabelSelector{MatchExpressions: []slimv1.LabelSelectorRequirement{{Key: "k", Operator: "Near"}}}
	_, err = New("bad").SelectPods(bad, bad).Destinations(netip.MustParsePrefix("0.0.0.0/0")).
		Gateway(GatewaySpec{NodeSelector: bad}).Build()
	for _, w := range []string{"selectors[0].podSelector", "selectors[0].namespaceSelector", "gateway 0: nodeSelector"} {
		if !errors.Is(err, ErrInvalid) || err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("invalid selector: error %v does not mention %q", err, w)
		}
	}
}
