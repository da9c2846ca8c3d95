// Package encryption will configure Cilium transparent encryption: WireGuard keys, peers
// and MTU, IPsec key secrets, and the matching Helm values.
//
// It holds no API yet; no issue has scheduled it. Until then, set Cilium's
// encryption.enabled / encryption.type Helm values in the values passed to mesh.Connect.
package encryption
