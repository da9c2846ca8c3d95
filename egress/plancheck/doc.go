// Package plancheck checks a CiliumEgressGatewayPolicy against a mesh plan before it is
// applied, for mistakes that Kubernetes accepts and Cilium then silently acts on:
//
//   - an egress IP inside a pod range of any cluster of the mesh, or inside a service
//     range of the policy's cluster (replies to it would never reach the gateway);
//   - a destination CIDR overlapping a pod range of the mesh, where the overlap is not
//     excluded (pod-to-pod traffic would be sent through the gateway and SNATed; the
//     seed's 0.0.0.0/0 does this unless the pod ranges are excluded);
//   - an excluded CIDR that overlaps no destination CIDR (it has no effect);
//   - a gateway whose nodeSelector matches none of the cluster's nodes (its endpoints'
//     traffic is dropped; a mistyped kubernetes.io/hostname does this).
//
// Each failed check is a *Violation naming the policy, the value and the range or
// selector it conflicts with; Check returns them all, joined. The package is pure.
package plancheck
