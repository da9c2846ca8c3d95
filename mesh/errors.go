package mesh

import "errors"

// Sentinel errors of the identity rules. Errors returned by this package wrap them with
// the offending object and value; test with errors.Is.
var (
	// ErrInvalidClusterName: not 1-32 characters of [a-z0-9-] starting and ending alphanumeric.
	ErrInvalidClusterName = errors.New("mesh: invalid cluster name")
	// ErrDefaultClusterName: the name "default" used together with a non-zero cluster ID.
	ErrDefaultClusterName = errors.New(`mesh: cluster name "default" cannot be used with a cluster ID`)
	// ErrInvalidClusterID: 0, or above the limit that maxConnectedClusters allows.
	ErrInvalidClusterID = errors.New("mesh: invalid cluster ID")
	// ErrInvalidMaxConnectedClusters: maxConnectedClusters is neither 255 nor 511.
	ErrInvalidMaxConnectedClusters = errors.New("mesh: invalid maxConnectedClusters")
)
