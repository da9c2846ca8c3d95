package plancheck

import (
	"fmt"
	"net/netip"
)

// Violation is one failed check of a policy.
type Violation struct {
	// Policy is the policy's name.
	Policy string
	// Rule is the sentinel of the failed check (ErrEgressIPInPodRange, ...).
	Rule error
	// Value is the offending value as written in the policy: an egress IP, a CIDR, or a
	// gateway's nodeSelector.
	Value string
	// Gateway is the index of the gateway entry the value belongs to (in
	// spec.egressGateways, or 0 for the single spec.egressGateway); -1 for CIDRs.
	Gateway int
	// Cluster and Range are the cluster and the pod or service range the value
	// conflicts with; empty for rules without one.
	Cluster string
	Range   netip.Prefix
}

// Error returns a sentence naming the policy, the value and what it conflicts with, e.g.
// `plancheck: policy "egress-sample": egress IP 10.245.0.10 of gateway 0 is inside
// cluster hk's pod range 10.245.0.0/16`.
func (v *Violation) Error() string {
	var what string
	switch v.Rule {
	case ErrEgressIPInPodRange:
		what = fmt.Sprintf("egress IP %s of gateway %d is inside cluster %s's pod range %v", v.Value, v.Gateway, v.Cluster, v.Range)
	case ErrEgressIPInServiceRange:
		what = fmt.Sprintf("egress IP %s of gateway %d is inside cluster %s's service range %v", v.Value, v.Gateway, v.Cluster, v.Range)
	case ErrDestinationCoversPods:
		what = fmt.Sprintf("destination CIDR %s covers cluster %s's pod range %v (pod traffic would leave through the gateway); exclude it", v.Value, v.Cluster, v.Range)
	case ErrExcludedOutsideDestinations:
		what = fmt.Sprintf("excluded CIDR %s is outside every destination CIDR (it has no effect)", v.Value)
	case ErrGatewayMatchesNoNode:
		what = fmt.Sprintf("nodeSelector %s of gateway %d matches no node (its endpoints' traffic is dropped)", v.Value, v.Gateway)
	default:
		what = fmt.Sprintf("%v: %s", v.Rule, v.Value)
	}
	return fmt.Sprintf("plancheck: policy %q: %s", v.Policy, what)
}

// Unwrap returns Rule.
func (v *Violation) Unwrap() error { return v.Rule }
