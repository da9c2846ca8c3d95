// Package ciliumkit is a Go SDK to plan, validate, render, apply and verify Cilium
// multi-cluster networking as code: cluster identity, CIDR planning, ClusterMesh connect,
// global services, L2 announcements, LB IPAM, egress gateway and WireGuard/IPsec.
//
// The work flows one way: spec → plan → objects → cluster → status.
//
//   - [github.com/ciliumkit/ciliumkit/mesh]: cluster identity, mesh plan, certificates,
//     Helm values, connect/status, global services, kvstore interop, cross-cluster policy.
//   - [github.com/ciliumkit/ciliumkit/ipam]: CIDR planning and LB IPAM pools and allocation.
//   - [github.com/ciliumkit/ciliumkit/l2]: L2 announcement policies and lease timing.
//   - [github.com/ciliumkit/ciliumkit/egress]: egress gateway policies and datapath entries.
//   - [github.com/ciliumkit/ciliumkit/encryption]: WireGuard and IPsec settings.
//   - [github.com/ciliumkit/ciliumkit/datapath]: eBPF programs and typed map programming.
//
// Planning is pure (no I/O, deterministic) and returns every problem at once. Only the
// Apply, Connect and Status calls talk to clusters; they take a context.Context first, a
// *slog.Logger for logs, and never print.
//
// # Supported Cilium versions
//
// ciliumkit builds against the Go API of Cilium v1.19.3 and is tested against the Cilium
// Helm chart 1.19.3 from that module. mesh.Preflight accepts charts 1.16 to 1.19
// (mesh.SupportedChartVersions); where they differ (clustermesh.config.clusters is a list
// before 1.19 and a map keyed by cluster name from 1.19) the renderer takes the chart
// version. Cilium v1.20 cannot be used as a Go dependency yet (its dependency
// github.com/cilium/statedb v0.8.4 is not served by the module proxy).
package ciliumkit
