package pki

import "fmt"

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
