// Package encryption configures Cilium transparent encryption: WireGuard keys, peers and
// MTU, IPsec key secrets, and the matching Helm values.
package encryption
