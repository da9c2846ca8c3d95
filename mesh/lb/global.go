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
	// LiteralNone records that the affinity annotation held the literal "none" when the
	// service was read (mesh/global sets it). The affinity is AffinityNone either way, but
	// Cilium 1.18.6 to 1.19.3 read that literal as local-only (its "none" constant is the
	// empty string; cilium/cilium#46623): see Warning and SelectLikeCilium. Writers never
	// write the literal.
	LiteralNone bool
}

// Warning returns what a reader of g should know about how Cilium treats it, or "" when
// nothing: for LiteralNone, that Cilium 1.18.6 to 1.19.3 send the service's traffic to
// local backends only.
func (g Global) Warning() string {
	if g.LiteralNone && g.Affinity == AffinityNone {
		return `service.cilium.io/affinity "none": Cilium 1.18.6 to 1.19.3 use local backends only for this literal (its "none" is the empty string); remove the annotation for local and remote backends`
	}
	return ""
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
