// Package lbipam implements Cilium LB IPAM: it builds cilium.io/v2
// CiliumLoadBalancerIPPool objects (NewPool), assigns LoadBalancer IPs to Services with
// Cilium's semantics plus a defined order and stable addresses (Allocator), and runs that
// allocator against an API server, writing Service and pool status by server-side apply
// (Controller).
//
// Services are read as Cilium reads them: lbipam.cilium.io/ips, /sharing-key and
// /sharing-cross-namespace (and their io.cilium/lb-ipam-* aliases), spec.loadBalancerIP,
// spec.ipFamilyPolicy and spec.ipFamilies, and loadBalancerClass (none,
// io.cilium/l2-announcer or io.cilium/bgp-control-plane). Pool serviceSelectors also see
// the labels l2.ServiceNamespaceLabel and l2.ServiceNameLabel.
//
// # Several replicas
//
// Controllers may run as several replicas against one API server. They elect a leader on
// a coordination.k8s.io Lease (ControllerOptions.LeaseName/LeaseNamespace, default
// kube-system/ciliumkit-lbipam, with the timings of Cilium's operator: 15 s lease, 10 s
// renew deadline, 2 s retry). Only the leader allocates and writes; followers keep their
// caches warm. A leader that cannot renew stops writing and stands again; one that is
// stopped gives the Lease up after its last write, so a follower takes over within a
// retry period; one that dies is replaced once its lease expires. A new leader rebuilds
// its allocator from a quorum list, so no address moves on a change of leader. Every
// status write carries the resourceVersion it was decided on and cannot overwrite a newer
// state: on a conflict the controller re-reads the Service and decides again.
//
// # Addresses written by someone else
//
// The allocator compares each Service's status.loadBalancer.ingress with what it holds on
// every change it sees, not only the first time. A new address that the Service may have
// (requested family or IP, in an enabled pool that selects it, free or compatibly shared)
// is adopted and the old one freed; any other (held by another Service, in no pool, of a
// pool that does not select it, not requested) is refused: the Service's own address is
// written back and ConditionIngressRestored records why. One address never goes to two
// Services.
//
// Address intervals are ipam.Range values; this package builds on package ipam and never
// the reverse, so CIDR planning links no Kubernetes client.
package lbipam
