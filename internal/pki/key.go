package pki

import (
	"crypto"
	"fmt"
)

// ParseKey parses a PEM private key: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC). Errors never
// quote the key.
func ParseKey(keyPEM []byte) (crypto.Signer, error) { return parseKey(keyPEM) }

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
