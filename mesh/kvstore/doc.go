// Package kvstore exports and imports global services in ClusterMesh's own etcd layout, so
// that ciliumkit interoperates with Cilium agents, clustermesh-apiservers and kvstoremesh.
//
// Keys (Cilium 1.19 layout):
//
//	cilium/state/services/v1/<cluster>/<namespace>/<name>  ClusterService JSON (a cluster's own state)
//	cilium/cache/services/v1/<cluster>/<namespace>/<name>  the same, mirrored by kvstoremesh
//	cilium/cluster-config/<cluster>                        cluster config JSON (ID, capabilities)
//	cilium/synced/<cluster>/<prefix>                       sync canaries (RFC 3339 time)
//	cilium/.heartbeat                                      liveness (RFC 3339 time)
//
// FromService turns a Service and its EndpointSlices into the ClusterService Cilium
// exports, addresses in the form the API server stored them. An Exporter writes a
// cluster's services (Upsert, Delete, or Sync to an exact set) and its config; MarkSynced
// writes every sync canary the announced capabilities require (nodes, identities, ip and
// services, plus serviceexports when enabled: without them Cilium's kvstoremesh never
// reports the cluster ready), and KeepAlive refreshes the heartbeat every minute, since
// Cilium's remote clients drop a kvstore whose heartbeat is two minutes old.
//
// An Importer reads another cluster's services the way an agent does: from the cluster's
// own state, or from a kvstoremesh cache when the cluster config says cached. It lists in
// pages and watches, survives etcd restarts, reconnects, compactions and a kvstore that
// came back empty at the same address by re-listing and diffing (nothing lost, nothing
// reported twice), and treats remote data as untrusted but is exactly as liberal as
// Cilium's readers: what they reject (oversize or malformed values, keys and values that
// disagree, bad cluster IDs, addresses netip.ParseAddr refuses) is rejected and counted;
// what they accept but ciliumkit would not write (unknown fields, non-canonical or
// IPv4-mapped addresses, odd ports and names) is kept and counted as a Note. Connections
// use mutual TLS (see TLSConfig and Connect).
package kvstore
