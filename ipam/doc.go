// Package ipam plans IP ranges across clusters (pod, service and node CIDRs) and manages
// Cilium LB IPAM pools (CiliumLoadBalancerIPPool) and their allocation.
package ipam
