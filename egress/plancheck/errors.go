package plancheck

import "errors"

// Sentinel errors of the plancheck package: every *Violation wraps the one of its rule
// (Violation.Rule), so errors.Is tells the rules apart.
var (
	// ErrEgressIPInPodRange: a gateway's egressIP is inside a pod range of the mesh.
	ErrEgressIPInPodRange = errors.New("plancheck: egress IP inside a pod range")
	// ErrEgressIPInServiceRange: a gateway's egressIP is inside a service range of the
	// policy's cluster.
	ErrEgressIPInServiceRange = errors.New("plancheck: egress IP inside a service range")
	// ErrDestinationCoversPods: a destination CIDR overlaps a pod range of the mesh and
	// the overlap is not excluded.
	ErrDestinationCoversPods = errors.New("plancheck: destination covers a pod range")
	// ErrExcludedOutsideDestinations: an excluded CIDR overlaps no destination CIDR.
	ErrExcludedOutsideDestinations = errors.New("plancheck: excluded CIDR outside every destination")
	// ErrGatewayMatchesNoNode: a gateway's nodeSelector matches none of the given nodes.
	ErrGatewayMatchesNoNode = errors.New("plancheck: gateway node selector matches no node")
	// ErrInvalidInput: the cluster is not in the plan, or the policy has a CIDR, IP or
	// selector that does not parse (gatewaypolicy.Builder never builds one).
	ErrInvalidInput = errors.New("plancheck: invalid input")
)
