package pki

import (
	"errors"
	"strings"
	"testing"
)

func TestMatchKey(t *testing.T) {
	ca, err := NewCA(Options{CommonName: "test-ca"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.Issue(Options{CommonName: "a", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ca.Issue(Options{CommonName: "b", Client: true, KeyType: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	if err := MatchKey(a.CertPEM, a.KeyPEM); err != nil {
		t.Errorf("own key: %v", err)
	}
	if err := MatchKey(b.CertPEM, b.KeyPEM); err != nil {
		t.Errorf("own RSA key: %v", err)
	}
	if err := MatchKey(a.CertPEM, b.KeyPEM); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("foreign key: err = %v, want ErrKeyMismatch", err)
	}
	bad := []byte(strings.Replace(string(a.KeyPEM), "A", "B", 5))
	err = MatchKey(a.CertPEM, bad)
	if err == nil {
		t.Fatal("corrupted key accepted")
	}
	if strings.Contains(err.Error(), string(bad[40:60])) {
		t.Errorf("error quotes key material: %v", err)
	}
	if _, err := parseKey([]byte("no pem here")); !errors.Is(err, ErrBadPEM) {
		t.Errorf("parseKey(garbage) = %v, want ErrBadPEM", err)
	}
}
