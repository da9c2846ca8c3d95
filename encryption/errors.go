package encryption

import "errors"

// Errors returned by this package; match them with errors.Is.
var (
	// ErrKeepalive reports a WireGuard persistent keepalive that is negative, above
	// MaxPersistentKeepalive or not a whole number of seconds.
	ErrKeepalive = errors.New("encryption: invalid WireGuard persistent keepalive")
	// ErrMTU reports a device MTU, tunnel mode or resulting pod MTU that Cilium cannot use.
	ErrMTU = errors.New("encryption: invalid MTU")
	// ErrPublicKey reports a WireGuard public key that is not canonical base64 of 32 bytes,
	// is all zero, or is published by two nodes.
	ErrPublicKey = errors.New("encryption: invalid WireGuard public key")
	// ErrNodeAddress reports a CiliumNode without an InternalIP, or with one that does not parse.
	ErrNodeAddress = errors.New("encryption: invalid node address")
	// ErrPodCIDR reports a CiliumNode pod CIDR that does not parse or has host bits set.
	ErrPodCIDR = errors.New("encryption: invalid pod CIDR")
	// ErrIPsecKey reports an IPsec key line that does not follow
	// "<spi>[+] rfc4106(gcm(aes)) <hex key+salt> <icv bits>".
	ErrIPsecKey = errors.New("encryption: invalid IPsec key")
	// ErrSPI reports an IPsec SPI (key ID) outside 1-15.
	ErrSPI = errors.New("encryption: invalid IPsec SPI")
	// ErrSecretName reports a Secret name, namespace or key file name the API server would refuse.
	ErrSecretName = errors.New("encryption: invalid secret name")
)
