// Package ciliumkit is a Go SDK to plan, validate, render, apply and verify Cilium
// multi-cluster networking as code: cluster identity, CIDR planning, ClusterMesh connect,
// global services, L2 announcements, LB IPAM, egress gateway and WireGuard/IPsec.
//
// The work flows one way: spec → plan → objects → cluster → status, and so do the
// imports; leaves know nothing of the heavy parts, so a node agent links neither Helm nor
// client-go.
//
//   - [github.com/ciliumkit/ciliumkit/mesh]: cluster identity, mesh spec, pure planner,
//     capacity, Helm values of a plan, Mermaid.
//   - [github.com/ciliumkit/ciliumkit/mesh/lb]: the service vocabulary and backend
//     selection (standard library only).
//   - [github.com/ciliumkit/ciliumkit/mesh/global]: global-service annotations.
//   - [github.com/ciliumkit/ciliumkit/mesh/clustermesh]: Enable, Connect, ReadCluster,
//     Status, Check and Wait on live clusters; certificates.
//   - [github.com/ciliumkit/ciliumkit/mesh/kvstore]: ClusterMesh kvstore exporter and importer.
//   - [github.com/ciliumkit/ciliumkit/mesh/policy]: cross-cluster network policies.
//   - [github.com/ciliumkit/ciliumkit/mesh/meshtest]: throwaway real clusters for tests.
//   - [github.com/ciliumkit/ciliumkit/ipam]: CIDR planning;
//     [github.com/ciliumkit/ciliumkit/ipam/lbipam]: LB IPAM pools, allocator, controller.
//   - [github.com/ciliumkit/ciliumkit/l2]: L2 announcement policies and lease timing.
//   - [github.com/ciliumkit/ciliumkit/egress]: egress gateway datapath entries;
//     [github.com/ciliumkit/ciliumkit/egress/gatewaypolicy]: the CRD builder;
//     [github.com/ciliumkit/ciliumkit/egress/plancheck]: checks against a mesh plan;
//     [github.com/ciliumkit/ciliumkit/egress/resolve]: cluster state to entries, with failover.
//   - [github.com/ciliumkit/ciliumkit/encryption]: WireGuard and IPsec settings.
//   - [github.com/ciliumkit/ciliumkit/datapath]: eBPF programs and typed map programming;
//     [github.com/ciliumkit/ciliumkit/datapath/maglev]: pure-Go Maglev.
//
// Planning is pure (no I/O, deterministic) and returns every problem at once. Only the
// Apply, Connect and Status calls talk to clusters; they take a context.Context first, a
// *slog.Logger for logs, and never print.
//
// # Getting started
//
// In a clone of the repository, without a cluster and without root:
//
//	go run ./examples/quickstart
//
// plans the two-cluster mesh of the usual runbooks (tokyo ID 1, hk ID 2) and prints each
// cluster's Helm values, runs a ClusterMesh of two embedded etcd kvstores on loopback
// (mutual TLS with the certificates mesh/clustermesh issues) and prints each cluster's
// merged service table for every affinity, assigns LB IPAM addresses, computes L2
// announcement timing, checks an egress gateway policy against the plan, and writes a
// Mermaid diagram of the mesh. The other programs under examples/ (meshplan, connect,
// thin-agent, egress-gateway) do the same steps against real clusters and nodes.
//
// # Supported Cilium versions
//
// ciliumkit builds against the Go API of Cilium v1.19.3 and is tested against the Cilium
// Helm chart 1.19.3 from that module (clustermesh.CiliumChart). clustermesh.Preflight
// accepts charts 1.16 to 1.19 (clustermesh.SupportedChartVersions). Cilium v1.20 cannot
// be used as a Go dependency yet (its dependency github.com/cilium/statedb v0.8.4 is not
// served by the module proxy).
package ciliumkit
