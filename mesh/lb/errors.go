package lb

import "errors"

// Sentinel errors of the service vocabulary. Errors returned by this package wrap them
// with the offending value; test with errors.Is.
var (
	// ErrInvalidAffinity: an Affinity value outside AffinityNone..AffinityRemote, or an
	// affinity string other than "", "none", "local" or "remote".
	ErrInvalidAffinity = errors.New("lb: invalid service affinity")
	// ErrInvalidProtocol: a protocol name other than TCP, UDP or SCTP.
	ErrInvalidProtocol = errors.New("lb: invalid protocol")
	// ErrInvalidBackendState: a backend state name Cilium does not define.
	ErrInvalidBackendState = errors.New("lb: invalid backend state")
)
