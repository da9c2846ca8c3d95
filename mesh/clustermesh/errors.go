package clustermesh

import "errors"

// Sentinel errors of enable, connect, access discovery and status. Errors returned by
// these calls wrap them with the cluster, object and value at fault; test with errors.Is.
// No error ever carries private key material.
var (
	// ErrPreflight: the targets cannot form a mesh (duplicate names or IDs, differing
	// maxConnectedClusters, unsupported chart version, bad topology).
	ErrPreflight = errors.New("clustermesh: preflight failed")
	// ErrUnsupportedChart: the Cilium chart version is outside SupportedChartVersions.
	ErrUnsupportedChart = errors.New("clustermesh: unsupported Cilium chart version")
	// ErrServiceType: the clustermesh-apiserver service type is unknown, or could not be
	// determined for the environment.
	ErrServiceType = errors.New("clustermesh: clustermesh-apiserver service type")
	// ErrNoAccess: a cluster's clustermesh-apiserver cannot be reached from outside: no
	// Service, no LoadBalancer ingress yet, no node InternalIPs, or an unusable type.
	ErrNoAccess = errors.New("clustermesh: no clustermesh-apiserver access information")
	// ErrCAMismatch: the clusters' Cilium CAs differ and the caller chose to refuse.
	ErrCAMismatch = errors.New("clustermesh: the Cilium CA certificates do not match between clusters")
	// ErrBadCA: a CA is unusable (not a CA, key does not match, expired).
	ErrBadCA = errors.New("clustermesh: unusable Cilium CA")
	// ErrBadPeerConfig: a cilium-clustermesh entry is not a valid etcd configuration.
	ErrBadPeerConfig = errors.New("clustermesh: invalid peer configuration")
	// ErrTarget: a Target lacks its REST config, chart or identity.
	ErrTarget = errors.New("clustermesh: invalid target")
	// ErrIdentityChange: a run would change a running cluster's cluster.name, cluster.id or
	// clustermesh.maxConnectedClusters, which Cilium documents as install-time only (its
	// identities would break); or the release values and cilium-config disagree on them.
	ErrIdentityChange = errors.New("clustermesh: refused to change a running cluster's identity")
	// ErrUnownedChange: a run would change Helm values that are neither the mesh's
	// (cluster.*, clustermesh.*, tls.ca.*) nor in the Target's Values, or the chart
	// version, and ConnectOptions does not allow it.
	ErrUnownedChange = errors.New("clustermesh: refused to change what the caller did not ask to change")
	// ErrNotReady: Wait gave up before the mesh became ready.
	ErrNotReady = errors.New("clustermesh: not ready")
)
