package clustermesh

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/pki"
)

// CA is a Cilium CA: the certificate and key stored in the cilium-ca Secret, which signs
// the clustermesh-apiserver certificates. Its key never appears in String, GoString,
// logs or errors.
type CA struct {
	ca *pki.CA
}

// CAOptions configure NewCA. The zero value makes an ECDSA P-256 CA named "Cilium CA"
// valid for three years.
type CAOptions struct {
	// CommonName is the CA's subject CN; default "Cilium CA".
	CommonName string
	// Validity is how long the CA is valid; default 3 years (1095 days, as the chart).
	Validity time.Duration
	// RSA selects a 2048-bit RSA key instead of ECDSA P-256.
	RSA bool
}

// NewCA creates a new mesh CA.
func NewCA(o *CAOptions) (*CA, error) {
	opts := pki.Options{CommonName: "Cilium CA", Validity: 1095 * 24 * time.Hour}
	if o != nil {
		if o.CommonName != "" {
			opts.CommonName = o.CommonName
		}
		if o.Validity > 0 {
			opts.Validity = o.Validity
		}
		if o.RSA {
			opts.KeyType = pki.RSA2048
		}
	}
	ca, err := pki.NewCA(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCA, err)
	}
	return &CA{ca: ca}, nil
}

// LoadCA uses an existing CA, e.g. the ca.crt and ca.key of a cilium-ca Secret. The key
// may be PKCS#8, PKCS#1 or SEC 1 PEM. It fails for a certificate that is not a CA, a
// key that does not match, or a CA that has expired.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	ca, err := pki.LoadCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCA, err)
	}
	if time.Now().After(ca.Cert.NotAfter) {
		return nil, fmt.Errorf("%w: %q expired at %s", ErrBadCA, ca.Cert.Subject.CommonName, ca.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return &CA{ca: ca}, nil
}

// Certificate returns the CA certificate.
func (c *CA) Certificate() *x509.Certificate { return c.ca.Cert }

// CertPEM returns the PEM of the CA certificate (the ca.crt of cilium-ca).
func (c *CA) CertPEM() []byte { return append([]byte(nil), c.ca.CertPEM...) }

// KeyPEM returns the PEM of the CA private key (the ca.key of cilium-ca). Handle with care.
func (c *CA) KeyPEM() []byte { return append([]byte(nil), c.ca.KeyPEM...) }

// Fingerprint returns "sha256:" and the hex SHA-256 of the CA certificate's DER.
func (c *CA) Fingerprint() string { return fingerprint(c.ca.Cert) }

// String returns the CA's CN and fingerprint, never its key.
func (c *CA) String() string {
	return fmt.Sprintf("CA %q %s", c.ca.Cert.Subject.CommonName, c.Fingerprint())
}

// GoString is String, so that %#v cannot print the key either.
func (c *CA) GoString() string { return c.String() }

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}
