package clustermesh_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// asSecrets turns apply configurations into the Secrets the API server would store.
func asSecrets(acs []*corev1ac.SecretApplyConfiguration) map[string]*corev1.Secret {
	out := map[string]*corev1.Secret{}
	for _, ac := range acs {
		out[*ac.Name] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: *ac.Name, Namespace: *ac.Namespace}, Type: *ac.Type, Data: ac.Data}
	}
	return out
}

func TestCertSecrets(t *testing.T) {
	ca, err := clustermesh.NewCA(nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := ca.Certificate().PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("default CA key %T, want ECDSA P-256", ca.Certificate().PublicKey)
	}
	if !ca.Certificate().IsCA || ca.Certificate().KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Error("CA cannot sign certificates")
	}
	opts := &clustermesh.CertOptions{Namespace: "cilium", ExtraIPs: []netip.Addr{netip.MustParseAddr("10.96.0.50")}, ExtraDNSNames: []string{"lb.example.net"}}
	acs, err := clustermesh.CertSecrets("tokyo", ca, nil, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	first := asSecrets(acs)
	wantCN := map[string]string{clustermesh.SecretServerCert: "clustermesh-apiserver.cilium.io", clustermesh.SecretAdminCert: "admin-tokyo",
		clustermesh.SecretRemoteCert: "remote", clustermesh.SecretLocalCert: "local-tokyo"}
	if len(first) != 4 {
		t.Fatalf("%d Secrets", len(first))
	}
	for name, s := range first {
		if s.Namespace != "cilium" || s.Type != corev1.SecretTypeTLS {
			t.Errorf("%s: namespace %q type %q", name, s.Namespace, s.Type)
		}
		if err := clustermesh.VerifyCertSecret(s, "tokyo", ca, opts); err != nil {
			t.Error(err)
		}
		c, _ := pki.ParseCert(s.Data["tls.crt"])
		if c.Subject.CommonName != wantCN[name] {
			t.Errorf("%s CN %q, want %q", name, c.Subject.CommonName, wantCN[name])
		}
		if life := c.NotAfter.Sub(c.NotBefore); life < 1094*24*time.Hour || life > 1096*24*time.Hour {
			t.Errorf("%s validity %s, want 1095 days", name, life)
		}
		if c.KeyUsage != x509.KeyUsageDigitalSignature {
			t.Errorf("%s key usage %v", name, c.KeyUsage)
		}
	}
	srv, _ := pki.ParseCert(first[clustermesh.SecretServerCert].Data["tls.crt"])
	for _, h := range []string{"clustermesh-apiserver.cilium.io", "tokyo.mesh.cilium.io", "clustermesh-apiserver.cilium.svc", "lb.example.net", "10.96.0.50", "127.0.0.1", "::1"} {
		if err := srv.VerifyHostname(h); err != nil {
			t.Errorf("server certificate: %v", err)
		}
	}
	if srv.VerifyHostname("clustermesh-apiserver.kube-system.svc") == nil {
		t.Error("server certificate covers a namespace it was not issued for")
	}
	// A certificate of the wrong kind fails verification.
	wrong := *first[clustermesh.SecretAdminCert]
	wrong.Name = clustermesh.SecretRemoteCert
	if err := clustermesh.VerifyCertSecret(&wrong, "tokyo", ca, opts); err == nil || !strings.Contains(err.Error(), `CN "admin-tokyo", want "remote"`) {
		t.Errorf("admin cert as remote cert: %v", err)
	}

	// Re-issuing with the same inputs keeps every certificate.
	again, err := clustermesh.CertSecrets("tokyo", ca, nil, first, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range asSecrets(again) {
		if !bytes.Equal(s.Data["tls.crt"], first[name].Data["tls.crt"]) || !bytes.Equal(s.Data["tls.key"], first[name].Data["tls.key"]) {
			t.Errorf("%s reissued without cause", name)
		}
	}
	// A new Service IP reissues only the server certificate.
	moved := *opts
	moved.ExtraIPs = []netip.Addr{netip.MustParseAddr("10.96.0.51")}
	changed, _ := clustermesh.CertSecrets("tokyo", ca, nil, first, &moved)
	for name, s := range asSecrets(changed) {
		same := bytes.Equal(s.Data["tls.crt"], first[name].Data["tls.crt"])
		if same == (name == clustermesh.SecretServerCert) {
			t.Errorf("%s: kept = %v after the Service IP changed", name, same)
		}
	}
	// Certificates closer to expiry than RenewBefore are reissued.
	soon := *opts
	soon.RenewBefore = 1100 * 24 * time.Hour
	renewed, _ := clustermesh.CertSecrets("tokyo", ca, nil, first, &soon)
	for name, s := range asSecrets(renewed) {
		if bytes.Equal(s.Data["tls.crt"], first[name].Data["tls.crt"]) {
			t.Errorf("%s not renewed", name)
		}
	}
	// Another CA reissues everything.
	other, _ := clustermesh.NewCA(nil)
	moved2, _ := clustermesh.CertSecrets("tokyo", other, nil, first, opts)
	for name, s := range asSecrets(moved2) {
		if bytes.Equal(s.Data["tls.crt"], first[name].Data["tls.crt"]) {
			t.Errorf("%s kept across a CA change", name)
		}
		if err := clustermesh.VerifyCertSecret(s, "tokyo", ca, opts); err == nil {
			t.Errorf("%s verifies against the old CA", name)
		}
	}
	// authMode cluster: per-cluster remote user.
	cl, _ := clustermesh.CertSecrets("tokyo", ca, nil, nil, &clustermesh.CertOptions{AuthMode: clustermesh.AuthCluster})
	rc, _ := pki.ParseCert(asSecrets(cl)[clustermesh.SecretRemoteCert].Data["tls.crt"])
	if rc.Subject.CommonName != "remote-tokyo" {
		t.Errorf("remote CN under authMode cluster: %q", rc.Subject.CommonName)
	}
}

func TestCAHandling(t *testing.T) {
	ca, err := clustermesh.NewCA(&clustermesh.CAOptions{CommonName: "rsa mesh", RSA: true, Validity: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ca.Certificate().PublicKey.(*rsa.PublicKey); !ok {
		t.Errorf("RSA CA has %T", ca.Certificate().PublicKey)
	}
	loaded, err := clustermesh.LoadCA(ca.CertPEM(), ca.KeyPEM())
	if err != nil || loaded.Fingerprint() != ca.Fingerprint() {
		t.Fatalf("LoadCA: %v", err)
	}
	// Leaf certificates never outlive the CA.
	acs, _ := clustermesh.CertSecrets("hk", ca, nil, nil, nil)
	leaf, _ := pki.ParseCert(asSecrets(acs)[clustermesh.SecretAdminCert].Data["tls.crt"])
	if leaf.NotAfter.After(ca.Certificate().NotAfter) {
		t.Errorf("leaf expires %s after the CA %s", leaf.NotAfter, ca.Certificate().NotAfter)
	}
	for _, s := range []string{ca.String(), fmt.Sprintf("%v %+v %#v", ca, ca, ca)} {
		if strings.Contains(s, "PRIVATE") || strings.Contains(s, string(ca.KeyPEM()[40:80])) || !strings.Contains(s, "sha256:") {
			t.Errorf("CA formats as %q", s)
		}
	}
	other, _ := clustermesh.NewCA(nil)
	if _, err := clustermesh.LoadCA(ca.CertPEM(), other.KeyPEM()); !errors.Is(err, clustermesh.ErrBadCA) || strings.Contains(err.Error(), "PRIVATE") {
		t.Errorf("mismatched key: %v", err)
	}
	acs2, _ := clustermesh.CertSecrets("hk", other, nil, nil, nil)
	leafSec := asSecrets(acs2)[clustermesh.SecretAdminCert]
	if _, err := clustermesh.LoadCA(leafSec.Data["tls.crt"], leafSec.Data["tls.key"]); !errors.Is(err, clustermesh.ErrBadCA) {
		t.Errorf("leaf as CA: %v", err)
	}
	old, _ := pki.NewCA(pki.Options{CommonName: "old", Validity: time.Hour, Now: time.Now().Add(-2 * time.Hour)})
	if _, err := clustermesh.LoadCA(old.CertPEM, old.KeyPEM); !errors.Is(err, clustermesh.ErrBadCA) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired CA: %v", err)
	}
}

func TestTrustBundle(t *testing.T) {
	a, _ := clustermesh.NewCA(nil)
	b, _ := clustermesh.NewCA(nil)
	c, _ := clustermesh.NewCA(nil)
	one := clustermesh.TrustBundle(a, b, c, a, b)
	two := clustermesh.TrustBundle(a, c, b)
	if !bytes.Equal(one, two) {
		t.Error("bundle depends on argument order")
	}
	certs, err := pki.ParseCerts(one)
	if err != nil || len(certs) != 3 || !certs[0].Equal(a.Certificate()) {
		t.Fatalf("bundle: %d certificates, first is own: %v, %v", len(certs), len(certs) > 0 && certs[0].Equal(a.Certificate()), err)
	}
	if got := clustermesh.TrustBundle(a); !bytes.Equal(got, a.CertPEM()) {
		t.Error("bundle of one CA is not its PEM")
	}
}
