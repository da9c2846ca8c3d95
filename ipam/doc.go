// Package ipam plans IP ranges across clusters: the pod, service and node CIDRs of a
// mesh. CIDRAllocator hands out aligned blocks from ordered pools around reserved ranges,
// CIDROverlaps finds overlapping prefixes, ValidateCIDR checks a prefix is canonical, and
// Range is the pointer-free address interval the allocator keeps.
//
// Planning is pure and deterministic: no I/O, and the same inputs in the same order give
// the same blocks. The package imports only the standard library and github.com/google/btree.
//
// Cilium LB IPAM (CiliumLoadBalancerIPPool pools, the allocator and its controller) lives
// in the sub-package ipam/lbipam, which builds on this one.
package ipam
