// Package kvstore exports and imports global services in ClusterMesh's own etcd layout, so
// that ciliumkit interoperates with Cilium agents and clustermesh-apiservers.
//
// Keys (Cilium 1.19 layout):
//
//	cilium/state/services/v1/<cluster>/<namespace>/<name>  ClusterService JSON
//	cilium/cluster-config/<cluster>                        cluster config JSON (ID, capabilities)
//	cilium/synced/<cluster>/cilium/state/services/v1       sync canary (RFC 3339 time)
//	cilium/.heartbeat                                      liveness (RFC 3339 time)
//
// FromService turns a Service and its EndpointSlices into the ClusterService Cilium's
// operator would export. An Exporter writes a cluster's services (Upsert, Delete, or Sync to an exact set), its
// config, canary and heartbeat; an Importer lists and watches another
// cluster's services, survives etcd restarts, reconnects and compactions by re-listing
// and diffing (nothing lost, nothing reported twice), and treats the remote data as
// untrusted: oversize values, unknown fields, bad addresses or ports, and values whose
// cluster or name does not match their key are rejected and counted, never fatal.
// Connections use mutual TLS (see TLSConfig and Connect).
package kvstore
