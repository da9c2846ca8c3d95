package encryption

import (
	"encoding/base64"
	"fmt"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// publicKeyLen is the length of a WireGuard key in standard padded base64 (32 bytes).
const publicKeyLen = 44

// KeyPair is a WireGuard (Curve25519) key pair. Its String and GoString methods show only
// the public key, so printing or logging a KeyPair never reveals the private key.
type KeyPair struct {
	// Private is the node's private key; keep it on the node.
	Private wgtypes.Key
	// Public is derived from Private and is what the node publishes (in Cilium, as the
	// CiliumNode annotation network.cilium.io/wg-pub-key).
	Public wgtypes.Key
}

// GenerateKeyPair returns a new key pair from crypto/rand.
func GenerateKeyPair() (KeyPair, error) {
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		return KeyPair{}, fmt.Errorf("encryption: generate WireGuard key: %w", err)
	}
	return KeyPair{Private: priv, Public: priv.PublicKey()}, nil
}

// String returns the public key in base64 and a placeholder for the private key.
func (k KeyPair) String() string {
	return "{public: " + k.Public.String() + ", private: redacted}"
}

// GoString is String, so that %#v does not reveal the private key either.
func (k KeyPair) GoString() string { return "encryption.KeyPair" + k.String() }

// ParsePublicKey parses a WireGuard public key in the canonical form WireGuard tools and
// Cilium write: exactly 44 characters of standard padded base64 encoding 32 bytes, with no
// surrounding space. It fails with ErrPublicKey for anything else, including the all-zero
// key. Use ParsePublicKey only for public keys: the error quotes the input.
func ParsePublicKey(s string) (wgtypes.Key, error) {
	if len(s) != publicKeyLen {
		return wgtypes.Key{}, fmt.Errorf("%w: %q is %d characters, want %d of base64", ErrPublicKey, clip(s), len(s), publicKeyLen)
	}
	// Strict rejects non-zero padding bits, so a parsed key prints back as s; the length
	// check above rules out the newlines the decoder would otherwise skip.
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != wgtypes.KeyLen {
		return wgtypes.Key{}, fmt.Errorf("%w: %q is not base64 of %d bytes", ErrPublicKey, s, wgtypes.KeyLen)
	}
	k, err := wgtypes.NewKey(b)
	if err != nil {
		return wgtypes.Key{}, fmt.Errorf("%w: %q: %v", ErrPublicKey, s, err)
	}
	if k == (wgtypes.Key{}) {
		return wgtypes.Key{}, fmt.Errorf("%w: %q is the all-zero key", ErrPublicKey, s)
	}
	return k, nil
}

// clip shortens s for an error message so that a huge input cannot flood it.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
