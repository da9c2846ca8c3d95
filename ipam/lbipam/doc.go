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
// Address intervals are ipam.Range values; this package builds on package ipam and never
// the reverse, so CIDR planning links no Kubernetes client.
package lbipam
