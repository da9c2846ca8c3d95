package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Errors returned by this package.
var (
	// ErrBadPEM reports PEM input that holds no usable certificate or key.
	ErrBadPEM = errors.New("pki: bad PEM")
	// ErrNotCA reports a certificate used to sign that is not a CA.
	ErrNotCA = errors.New("pki: certificate is not a CA")
	// ErrKeyMismatch reports a private key that does not belong to its certificate.
	ErrKeyMismatch = errors.New("pki: private key does not match certificate")
)

// KeyType selects the private key algorithm.
type KeyType int

const (
	// ECDSAP256 is an ECDSA key on the NIST P-256 curve (the default).
	ECDSAP256 KeyType = iota
	// RSA2048 is a 2048-bit RSA key.
	RSA2048
)

// CA is a certificate authority: its certificate and its signing key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertPEM and KeyPEM are the PEM encodings of Cert and Key (PKCS#8 for the key).
	CertPEM, KeyPEM []byte
}

// Options describe a certificate to issue. The zero value is an ECDSA P-256 key
// valid for one year from one minute ago.
type Options struct {
	// CommonName is the subject CN.
	CommonName string
	// Organization is the subject O (Kubernetes reads it as the group list).
	Organization []string
	// DNSNames and IPs are the subject alternative names.
	DNSNames []string
	IPs      []net.IP
	// Validity is how long the certificate is valid; zero means 365 days.
	Validity time.Duration
	// Server and Client set the extended key usages serverAuth and clientAuth.
	Server, Client bool
	// KeyType is the private key algorithm; zero means ECDSA P-256.
	KeyType KeyType
	// Now overrides the current time (for tests); zero means time.Now.
	Now time.Time
}

// Pair is an issued certificate with its private key.
type Pair struct {
	Cert            *x509.Certificate
	CertPEM, KeyPEM []byte
}

func newKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("pki: unknown key type %d", t)
	}
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func (o *Options) window() (time.Time, time.Time) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := o.Validity
	if v == 0 {
		v = 365 * 24 * time.Hour
	}
	return now.Add(-time.Minute), now.Add(v)
}

func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:20], nil
}

// NewCA creates a self-signed CA. Validity defaults to ten years.
func NewCA(o Options) (*CA, error) {
	if o.Validity == 0 {
		o.Validity = 10 * 365 * 24 * time.Hour
	}
	key, err := newKey(o.KeyType)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	from, to := o.window()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: o.Organization},
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
	}
	p, err := sign(tmpl, tmpl, key, key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CA %q: %w", o.CommonName, err)
	}
	return &CA{Cert: p.Cert, Key: key, CertPEM: p.CertPEM, KeyPEM: p.KeyPEM}, nil
}

// Issue signs a new leaf certificate for o with the CA.
func (ca *CA) Issue(o Options) (*Pair, error) {
	key, err := newKey(o.KeyType)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	from, to := o.window()
	if to.After(ca.Cert.NotAfter) {
		to = ca.Cert.NotAfter
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := key.(*rsa.PrivateKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	var ext []x509.ExtKeyUsage
	if o.Server {
		ext = append(ext, x509.ExtKeyUsageServerAuth)
	}
	if o.Client {
		ext = append(ext, x509.ExtKeyUsageClientAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: o.Organization},
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPs,
		NotBefore:             from,
		NotAfter:              to,
		KeyUsage:              usage,
		ExtKeyUsage:           ext,
		BasicConstraintsValid: true,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	p, err := sign(tmpl, ca.Cert, key, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue %q: %w", o.CommonName, err)
	}
	return p, nil
}

// sign creates the certificate tmpl for key, signed by parent's signer, and encodes both.
func sign(tmpl, parent *x509.Certificate, key, signer crypto.Signer) (*Pair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return &Pair{Cert: cert, CertPEM: encodeCert(der), KeyPEM: keyPEM}, nil
}

// LoadCA parses a CA from PEM. The key may be PKCS#8, PKCS#1 (RSA) or SEC 1 (EC).
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCert(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%w: %q", ErrNotCA, cert.Subject.CommonName)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("%w: CA %q", ErrKeyMismatch, cert.Subject.CommonName)
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// ParseCert returns the first certificate in PEM data.
func ParseCert(data []byte) (*x509.Certificate, error) {
	certs, err := ParseCerts(data)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// ParseCerts returns every certificate in PEM data, in order; at least one.
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPEM, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no CERTIFICATE block", ErrBadPEM)
	}
	return out, nil
}

// parseKey parses a PEM private key: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC). Errors never
// quote the key.
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("%w: no private key block", ErrBadPEM)
		}
		var (
			k   any
			err error
		)
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			// The parse error may quote key material; do not pass it on.
			return nil, fmt.Errorf("%w: cannot parse %s", ErrBadPEM, b.Type)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: key of type %T cannot sign", ErrBadPEM, k)
		}
		return s, nil
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func encodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
