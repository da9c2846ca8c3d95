// Package encryption configures Cilium transparent encryption as typed Go: the Helm values
// for WireGuard and IPsec, the pod MTU Cilium settles on under WireGuard, WireGuard key
// pairs and the peer list a node derives from CiliumNode objects, and the
// cilium-ipsec-keys Secret with its key line format.
//
// Everything here is pure: no I/O, no package-level mutable state, no printing. Errors wrap
// the sentinels in errors.go and name the offending object and value, but never include
// key material (WireGuard private keys, IPsec keys).
package encryption
