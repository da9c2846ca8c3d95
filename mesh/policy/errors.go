package policy

import "errors"

// Sentinel errors of cross-cluster network policies. Errors returned by this package wrap
// them with the policy and the offending field or cluster; test with errors.Is.
var (
	// ErrInvalid: a network policy that Cilium would not accept (empty name, bad port,
	// unknown protocol or entity, bad HTTP method or path regexp).
	ErrInvalid = errors.New("policy: invalid network policy")
	// ErrApply: applying a network policy to a cluster failed.
	ErrApply = errors.New("policy: apply network policy")
)
