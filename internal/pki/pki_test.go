package pki_test

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/pki"
)

func TestIssueVerifiesAgainstCA(t *testing.T) {
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048} {
		ca, err := pki.NewCA(pki.Options{CommonName: "mesh-ca", KeyType: kt})
		if err != nil {
			t.Fatal(err)
		}
		if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
			t.Fatalf("CA cert: IsCA %v, usage %b", ca.Cert.IsCA, ca.Cert.KeyUsage)
		}
		srv, err := ca.Issue(pki.Options{CommonName: "server", DNSNames: []string{"a.example"},
			IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Server: true, KeyType: kt})
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "a.example",
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("%v server cert: %v", kt, err)
		}
		if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: roots,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
			t.Errorf("%v server-only cert verified for client auth", kt)
		}
		if err := pki.MatchKey(srv.CertPEM, srv.KeyPEM); err != nil {
			t.Errorf("%v: key does not match its certificate: %v", kt, err)
		}
		back, err := pki.LoadCA(ca.CertPEM, ca.KeyPEM)
		if err != nil || !back.Cert.Equal(ca.Cert) {
			t.Fatalf("LoadCA round trip: %v", err)
		}
	}
}

func TestLeafValidityCappedByCA(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ca, err := pki.NewCA(pki.Options{CommonName: "short-ca", Validity: 24 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.Options{CommonName: "leaf", Client: true, Validity: 30 * 24 * time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Cert.NotAfter.After(ca.Cert.NotAfter) {
		t.Errorf("leaf valid until %v, after its CA (%v)", leaf.Cert.NotAfter, ca.Cert.NotAfter)
	}
}

func TestLoadCARejects(t *testing.T) {
	ca, _ := pki.NewCA(pki.Options{CommonName: "a"})
	other, _ := pki.NewCA(pki.Options{CommonName: "b"})
	leaf, _ := ca.Issue(pki.Options{CommonName: "leaf", Client: true})
	if _, err := pki.LoadCA(ca.CertPEM, other.KeyPEM); !errors.Is(err, pki.ErrKeyMismatch) {
		t.Errorf("CA with a foreign key: %v, want ErrKeyMismatch", err)
	}
	if _, err := pki.LoadCA(leaf.CertPEM, leaf.KeyPEM); !errors.Is(err, pki.ErrNotCA) {
		t.Errorf("leaf as CA: %v, want ErrNotCA", err)
	}
	_, err := pki.LoadCA(ca.CertPEM, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	if !errors.Is(err, pki.ErrBadPEM) || strings.Contains(err.Error(), "AAAA") {
		t.Errorf("bad key: %v, want ErrBadPEM without key material", err)
	}
}
