// Package policy builds CiliumNetworkPolicy objects (cilium.io/v2) for a ClusterMesh with
// Cilium's own API types: L3 endpoint and entity selectors, L4 ports, L7 HTTP rules, and
// peers limited to one cluster of the mesh through the io.cilium.k8s.policy.cluster label.
// Apply server-side applies one policy to many clusters and names each cluster that
// fails.
package policy
