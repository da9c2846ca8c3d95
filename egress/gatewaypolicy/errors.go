package gatewaypolicy

import "errors"

// Sentinel errors of the gatewaypolicy package; returned errors wrap them with %w and
// name the policy and the offending value.
var (
	// ErrInvalid reports a CiliumEgressGatewayPolicy that Cilium would reject or that
	// selects nothing; see Builder.Build for every case.
	ErrInvalid = errors.New("gatewaypolicy: invalid egress gateway policy")
)
