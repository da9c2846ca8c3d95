// Package clustermesh connects live clusters into a Cilium ClusterMesh, the typed
// equivalent of `cilium clustermesh enable`, `connect` and `status`.
//
// A Target is one cluster: its identity (mesh.Cluster), a *rest.Config and the Cilium
// chart. Enable configures each cluster's clustermesh-apiserver; Connect enables and links
// the clusters in a Topology (full mesh, pair, one-way), issuing the clustermesh
// certificates from one CA (or merging differing CAs into each trust bundle on request),
// with Helm install-or-upgrade and server-side apply. Every cluster is read and
// preflighted before any is written, and a re-run that changes nothing writes nothing.
// Status reads one cluster back; Check judges several together against a topology; Wait
// polls Check until the mesh is ready. DiscoverAccess and AccessFromService tell how peers
// reach a cluster's clustermesh-apiserver.
//
// The library never prints: pass a *slog.Logger and a progress callback in the options.
package clustermesh
