package global

import "errors"

// Sentinel errors of the global-service annotations. Errors returned by this package wrap
// them with the offending object, key and value; test with errors.Is. An invalid affinity
// value wraps lb.ErrInvalidAffinity as well.
var (
	// ErrInvalidAnnotation: a ClusterMesh annotation on a Service or Namespace holds a value
	// Cilium does not define (for example global: "yes" or affinity: "nearest").
	ErrInvalidAnnotation = errors.New("global: invalid annotation value")
	// ErrConflictingAnnotations: an annotation and its legacy io.cilium alias are both set
	// and disagree.
	ErrConflictingAnnotations = errors.New("global: conflicting annotation and legacy alias")
)
