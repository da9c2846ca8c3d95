// Package mesh models a Cilium ClusterMesh: cluster identity (name and ID), the mesh plan,
// certificates, Helm values, connect and status, global services, kvstore interop and
// cross-cluster policy.
package mesh
