package resolve

import "errors"

// Sentinel errors of the resolve package; returned errors wrap them with %w and name the
// policy or object and the offending value.
var (
	// ErrInvalidPolicy reports a policy Cilium would refuse (no destination, a CIDR that
	// does not parse, a selector rule with neither pod nor namespace selector, a selector
	// that does not convert). The policy contributes no entries.
	ErrInvalidPolicy = errors.New("resolve: invalid egress gateway policy")
	// ErrConflict reports an entry (endpoint address and destination CIDR) that an
	// earlier policy, by name, already sets; the later policy's entry is left out.
	ErrConflict = errors.New("resolve: conflicting egress gateway policies")
	// ErrInvalidOptions reports Heartbeat or Watch options out of range.
	ErrInvalidOptions = errors.New("resolve: invalid options")
)
