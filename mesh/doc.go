// Package mesh plans a Cilium ClusterMesh: cluster identity (name and ID, Cilium's rules
// for both, the security identity range each cluster owns), the mesh spec and its parser,
// the pure planner that assigns IDs and pod (and optionally service) CIDRs across
// clusters and reports every problem at once, capacity, the Helm values of a planned
// cluster, and a Mermaid diagram. Nothing here does I/O.
//
// Only pod CIDRs must be unique across a ClusterMesh: service ranges are planned only
// when the spec has service pools, and service ranges that clusters share only warn.
//
// Specs and plans are outside input, so their handling is bounded: ParseSpec and
// ParsePlan refuse documents over MaxSpecSize, a second YAML document and keys that
// differ only in case, naming the line; errors quote names cut after MaxQuotedNameLen
// bytes; overlaps are folded (OverlapError) and a report stops after MaxReportedProblems
// problems with a *MoreProblemsError counting the rest.
//
// The rest of the ClusterMesh lives in sub-packages, each importing this root, never the
// reverse:
//
//	mesh/lb           the service vocabulary (Frontend, Backend, Affinity, Select); a leaf
//	mesh/global       global-service annotations on Services and Namespaces
//	mesh/clustermesh  Enable, Connect, Status, Check and Wait on live clusters; certificates
//	mesh/kvstore      the ClusterMesh kvstore wire format, exporter and importer
//	mesh/policy       cross-cluster CiliumNetworkPolicy builders and multi-cluster apply
package mesh
