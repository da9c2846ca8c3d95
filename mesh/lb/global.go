package lb

import "fmt"

// Global is how a global service takes part in a ClusterMesh: the annotations
// service.cilium.io/global, /shared, /affinity and /global-sync-endpoint-slices (package
// mesh/global reads and writes them on Kubernetes objects). The zero value is a shared
// global service without affinity, Cilium's defaults for service.cilium.io/global: "true".
type Global struct {
	// Affinity prefers local or remote backends; default AffinityNone. AffinityNone is
	// written by leaving the affinity annotation out, never as the literal "none" (Cilium
	// 1.18.6 and 1.19.3 drop remote backends for a literal "none").
	Affinity Affinity
	// Unshared keeps this cluster's backends out of other clusters
	// (service.cilium.io/shared: "false"): the service still uses remote backends.
	// Default false: the backends are shared.
	Unshared bool
	// SyncEndpointSlices, when set, writes service.cilium.io/global-sync-endpoint-slices:
	// whether remote backends are mirrored into local EndpointSlices. Nil leaves the
	// annotation out: Cilium then syncs headless services only.
	SyncEndpointSlices *bool
}

// SyncsEndpointSlices reports whether Cilium mirrors remote backends of the service into
// local EndpointSlices: SyncEndpointSlices when set, else true only for a headless service
// (clusterIP: None).
func (g Global) SyncsEndpointSlices(headless bool) bool {
	if g.SyncEndpointSlices != nil {
		return *g.SyncEndpointSlices
	}
	return headless
}

// Validate checks that Affinity is a known value; the error wraps ErrInvalidAffinity.
func (g Global) Validate() error {
	if !g.Affinity.Valid() {
		return fmt.Errorf("%w %s", ErrInvalidAffinity, g.Affinity)
	}
	return nil
}
