package egress

import "errors"

// Sentinel errors of the egress package; returned errors wrap them with %w and name the
// offending value.
var (
	// ErrInvalidEntry reports a datapath entry with a missing or non-IPv4 field.
	ErrInvalidEntry = errors.New("egress: invalid entry")
	// ErrNoGateways reports a gateway selection from an empty gateway set.
	ErrNoGateways = errors.New("egress: no gateways")
)
