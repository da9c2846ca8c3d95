package l2

import (
	"errors"
	"fmt"
	"regexp"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// PolicyBuilder builds a cilium.io/v2alpha1 CiliumL2AnnouncementPolicy. Unset selectors
// select everything; unset interfaces mean every interface Cilium manages. Setters only
// record; Build validates and reports every problem at once.
type PolicyBuilder struct {
	spec ciliumv2alpha1.CiliumL2AnnouncementPolicySpec
	name string
}

// NewPolicy starts a policy named name (a DNS-1123 subdomain, at most 253 characters).
func NewPolicy(name string) *PolicyBuilder { return &PolicyBuilder{name: name} }

// ServiceSelector limits the policy to Services whose labels match sel. Services also carry
// ServiceNamespaceLabel and ServiceNameLabel for matching. Nil (the default) selects every
// Service. Build stores a deep copy of sel. If called multiple times, the last call wins.
func (b *PolicyBuilder) ServiceSelector(sel *slimv1.LabelSelector) *PolicyBuilder {
	b.spec.ServiceSelector = sel
	return b
}

// NodeSelector limits the nodes that may announce to those whose labels match sel. Nil
// (the default) selects every node. Build stores a deep copy of sel. If called multiple
// times, the last call wins.
func (b *PolicyBuilder) NodeSelector(sel *slimv1.LabelSelector) *PolicyBuilder {
	b.spec.NodeSelector = sel
	return b
}

// Interfaces sets the regular expressions (Go RE2 syntax, unanchored) that choose the
// interfaces to announce on; none (the default) means every interface. The builder keeps
// its own copy of patterns. If called multiple times, the last call wins: its patterns
// replace those of earlier calls, and a call without patterns clears them.
func (b *PolicyBuilder) Interfaces(patterns ...string) *PolicyBuilder {
	b.spec.Interfaces = append([]string(nil), patterns...)
	return b
}

// ExternalIPs announces Services' spec.externalIPs. Default false. If called multiple
// times, the last call wins.
func (b *PolicyBuilder) ExternalIPs(on bool) *PolicyBuilder {
	b.spec.ExternalIPs = on
	return b
}

// LoadBalancerIPs announces Services' status.loadBalancer.ingress IPs. Default false. If
// called multiple times, the last call wins.
func (b *PolicyBuilder) LoadBalancerIPs(on bool) *PolicyBuilder {
	b.spec.LoadBalancerIPs = on
	return b
}

// Build validates the policy (see ValidatePolicy) and returns it, or every problem joined.
// The policy shares nothing with the builder, which may be changed and built again.
func (b *PolicyBuilder) Build() (*ciliumv2alpha1.CiliumL2AnnouncementPolicy, error) {
	p := &ciliumv2alpha1.CiliumL2AnnouncementPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: ciliumv2alpha1.SchemeGroupVersion.String(), Kind: ciliumv2alpha1.L2AnnouncementKindDefinition},
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		Spec:       *b.spec.DeepCopy(),
	}
	if err := ValidatePolicy(p); err != nil {
		return nil, err
	}
	return p, nil
}

// ValidatePolicy checks a policy as Cilium's announcer reads it: a valid name, selectors
// that convert, interface patterns that compile, and at least one of externalIPs and
// loadBalancerIPs (a policy with neither announces nothing). It returns every problem
// joined.
func ValidatePolicy(p *ciliumv2alpha1.CiliumL2AnnouncementPolicy) error {
	_, err := compilePolicy(p)
	return err
}

// compiledPolicy is a valid policy's selectors and interface patterns, converted once.
type compiledPolicy struct {
	service, node slimlabels.Selector // nil selects everything
	interfaces    []*regexp.Regexp    // none: every interface
}

// compilePolicy converts p's selectors and patterns, or returns every problem
// ValidatePolicy reports, joined.
func compilePolicy(p *ciliumv2alpha1.CiliumL2AnnouncementPolicy) (compiledPolicy, error) {
	var cp compiledPolicy
	var errs []error
	for _, msg := range validation.IsDNS1123Subdomain(p.Name) {
		errs = append(errs, fmt.Errorf("policy name %q: %s: %w", p.Name, msg, ErrInvalidPolicy))
	}
	if !p.Spec.ExternalIPs && !p.Spec.LoadBalancerIPs {
		errs = append(errs, fmt.Errorf("policy %q announces neither externalIPs nor loadBalancerIPs: %w", p.Name, ErrInvalidPolicy))
	}
	for _, s := range []struct {
		what string
		sel  *slimv1.LabelSelector
		out  *slimlabels.Selector
	}{{"serviceSelector", p.Spec.ServiceSelector, &cp.service}, {"nodeSelector", p.Spec.NodeSelector, &cp.node}} {
		if s.sel == nil {
			continue
		}
		sel, err := slimv1.LabelSelectorAsSelector(s.sel)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %q %s: %w: %v", p.Name, s.what, ErrInvalidSelector, err))
			continue
		}
		*s.out = sel
	}
	for i, pat := range p.Spec.Interfaces {
		re, err := regexp.Compile(pat)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %q interfaces[%d] %q: %w: %v", p.Name, i, pat, ErrInvalidInterface, err))
			continue
		}
		cp.interfaces = append(cp.interfaces, re)
	}
	if err := errors.Join(errs...); err != nil {
		return compiledPolicy{}, err
	}
	return cp, nil
}
