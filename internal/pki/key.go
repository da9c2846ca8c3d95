package pki

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// NewKey creates a private key of type t and returns the PEM of the key (PKCS#8) and of
// its public key (PKIX), e.g. for a kube-apiserver service-account signing pair.
func NewKey(t KeyType) (keyPEM, pubPEM []byte, err error) {
	k, err := newKey(t)
	if err != nil {
		return nil, nil, err
	}
	if keyPEM, err = encodeKey(k); err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	return keyPEM, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MatchKey checks that keyPEM holds the private key of the first certificate in certPEM.
func MatchKey(certPEM, keyPEM []byte) error {
	cert, err := ParseCert(certPEM)
	if err != nil {
		return err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return err
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return fmt.Errorf("%w: %q", ErrKeyMismatch, cert.Subject.CommonName)
	}
	return nil
}
