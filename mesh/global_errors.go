package mesh

import "errors"

// Sentinel errors of global services, backend selection and cross-cluster policy. Errors
// returned by this package wrap them with the offending object, key and value; test with
// errors.Is.
var (
	// ErrInvalidAnnotation: a ClusterMesh annotation on a Service or Namespace holds a value
	// Cilium does not define (for example global: "yes" or affinity: "nearest").
	ErrInvalidAnnotation = errors.New("invalid annotation value")
	// ErrConflictingAnnotations: an annotation and its legacy io.cilium alias are both set
	// and disagree.
	ErrConflictingAnnotations = errors.New("conflicting annotation and legacy alias")
	// ErrInvalidAffinity: an Affinity value outside AffinityNone..AffinityRemote, or an
	// affinity string other than "", "none", "local" or "remote".
	ErrInvalidAffinity = errors.New("invalid service affinity")
	// ErrInvalidPolicy: a cross-cluster network policy that Cilium would not accept (empty
	// name, bad port, unknown protocol or entity, bad HTTP method or path regexp).
	ErrInvalidPolicy = errors.New("invalid network policy")
	// ErrPolicyApply: applying a network policy to a cluster failed.
	ErrPolicyApply = errors.New("apply network policy")
)
