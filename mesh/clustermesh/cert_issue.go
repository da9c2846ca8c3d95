package clustermesh

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/internal/pki"
)

// Certificate lifetimes.
const (
	// DefaultCertValidity is the validity of issued leaf certificates: 1095 days, as the
	// chart's clustermesh.apiserver.tls.auto.certValidityDuration. Capped at the CA's expiry.
	DefaultCertValidity = 1095 * 24 * time.Hour
	// DefaultRenewBefore: an existing certificate closer than this to expiry is reissued.
	DefaultRenewBefore = 30 * 24 * time.Hour
)

// CertOptions configure the clustermesh-apiserver certificates of one cluster. The zero
// value issues with DefaultCertValidity, renews within DefaultRenewBefore, and uses
// AuthMigration.
type CertOptions struct {
	// Namespace is Cilium's namespace; default DefaultNamespace.
	Namespace string
	// AuthMode selects the remote certificate's CN, see RemoteCN; default AuthMigration.
	AuthMode AuthMode
	// ExtraDNSNames are added to the server certificate's DNS SANs, e.g. the Service's
	// LoadBalancer hostname.
	ExtraDNSNames []string
	// ExtraIPs are added to the server certificate's IP SANs, e.g. the Service's
	// ClusterIP and LoadBalancer IPs.
	ExtraIPs []netip.Addr
	// Validity of new certificates; default DefaultCertValidity.
	Validity time.Duration
	// RenewBefore: reissue when an existing certificate expires sooner; default DefaultRenewBefore.
	RenewBefore time.Duration
}

// certSpec is what one clustermesh-apiserver certificate must look like.
type certSpec struct {
	secret         string
	cn             string
	dns            []string
	ips            []net.IP
	server, client bool
}

func (o *CertOptions) withDefaults() CertOptions {
	out := CertOptions{Namespace: DefaultNamespace, AuthMode: AuthMigration, Validity: DefaultCertValidity, RenewBefore: DefaultRenewBefore}
	if o == nil {
		return out
	}
	if o.Namespace != "" {
		out.Namespace = o.Namespace
	}
	if o.AuthMode != "" {
		out.AuthMode = o.AuthMode
	}
	if o.Validity > 0 {
		out.Validity = o.Validity
	}
	if o.RenewBefore > 0 {
		out.RenewBefore = o.RenewBefore
	}
	out.ExtraDNSNames = o.ExtraDNSNames
	out.ExtraIPs = o.ExtraIPs
	return out
}

// certSpecs lists the four certificates of cluster name. The server certificate covers
// ServerCertCN, *.<MeshDomain>, clustermesh-apiserver.<ns>.svc, loopback and the
// extra names; it is for serverAuth only. The client certificates are for clientAuth.
func certSpecs(name string, o CertOptions) []certSpec {
	dns := []string{ServerCertCN, "*." + MeshDomain, APIServerName + "." + o.Namespace + ".svc"}
	for _, d := range o.ExtraDNSNames {
		if !slices.Contains(dns, d) {
			dns = append(dns, d)
		}
	}
	addrs := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	for _, a := range o.ExtraIPs {
		if !slices.Contains(addrs, a.Unmap()) {
			addrs = append(addrs, a.Unmap())
		}
	}
	ips := make([]net.IP, len(addrs))
	for i, a := range addrs {
		ips[i] = net.IP(a.AsSlice())
	}
	return []certSpec{
		{secret: SecretServerCert, cn: ServerCertCN, dns: dns, ips: ips, server: true},
		{secret: SecretAdminCert, cn: AdminCN(name), client: true},
		{secret: SecretRemoteCert, cn: RemoteCN(name, o.AuthMode), client: true},
		{secret: SecretLocalCert, cn: LocalCN(name), client: true},
	}
}

// CertSecrets returns the server-side apply configurations of the four
// clustermesh-apiserver certificate Secrets of cluster name, signed by ca, each with
// keys ca.crt (bundle: the PEM of every CA this cluster trusts, ca first), tls.crt and
// tls.key. Certificates in existing (keyed by Secret name; may be nil) that still match
// are kept, so that re-running changes nothing: same CN and SANs, at least the usages
// ciliumkit issues (the chart's own certificates, with serverAuth and clientAuth on each,
// are kept too), signed by ca, matching key, and not within RenewBefore of expiry.
func CertSecrets(name string, ca *CA, bundle []byte, existing map[string]*corev1.Secret, opts *CertOptions) ([]*corev1ac.SecretApplyConfiguration, error) {
	o := opts.withDefaults()
	if len(bundle) == 0 {
		bundle = ca.CertPEM()
	}
	var out []*corev1ac.SecretApplyConfiguration
	for _, s := range certSpecs(name, o) {
		crt, key := keep(existing[s.secret], s, ca, o.RenewBefore)
		if crt == nil {
			p, err := ca.ca.Issue(pki.Options{CommonName: s.cn, DNSNames: s.dns, IPs: s.ips,
				Server: s.server, Client: s.client, Validity: o.Validity})
			if err != nil {
				return nil, fmt.Errorf("cluster %q: issue %s (CN %q): %w", name, s.secret, s.cn, err)
			}
			crt, key = p.CertPEM, p.KeyPEM
		}
		out = append(out, corev1ac.Secret(s.secret, o.Namespace).
			WithLabels(map[string]string{"app.kubernetes.io/part-of": "cilium"}).
			WithType(corev1.SecretTypeTLS).
			WithData(map[string][]byte{"ca.crt": bundle, "tls.crt": crt, "tls.key": key}))
	}
	return out, nil
}

// keep returns the certificate and key of sec when they still satisfy s, else nils.
func keep(sec *corev1.Secret, s certSpec, ca *CA, renewBefore time.Duration) (crt, key []byte) {
	if sec == nil {
		return nil, nil
	}
	crt, key = sec.Data["tls.crt"], sec.Data["tls.key"]
	if checkCert(crt, key, s, ca, time.Now().Add(renewBefore), true) != nil {
		return nil, nil
	}
	return crt, key
}

// checkCert verifies that crt/key satisfy s: chain to ca with the right usages, CN,
// SANs (exactly s's, or at least s's when exact is false), matching key, and valid at
// least until the time until.
func checkCert(crt, key []byte, s certSpec, ca *CA, until time.Time, exact bool) error {
	c, err := pki.ParseCert(crt)
	if err != nil {
		return err
	}
	if err := pki.MatchKey(crt, key); err != nil {
		return err
	}
	if c.Subject.CommonName != s.cn {
		return fmt.Errorf("CN %q, want %q", c.Subject.CommonName, s.cn)
	}
	if exact && !slices.Equal(c.DNSNames, s.dns) {
		return fmt.Errorf("DNS SANs %v, want %v", c.DNSNames, s.dns)
	}
	if exact && !slices.EqualFunc(c.IPAddresses, s.ips, func(a, b net.IP) bool { return a.Equal(b) }) {
		return fmt.Errorf("IP SANs %v, want %v", c.IPAddresses, s.ips)
	}
	for _, d := range s.dns {
		if !slices.Contains(c.DNSNames, d) {
			return fmt.Errorf("DNS SANs %v lack %q", c.DNSNames, d)
		}
	}
	for _, ip := range s.ips {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return fmt.Errorf("IP SANs %v lack %s", c.IPAddresses, ip)
		}
	}
	var want []x509.ExtKeyUsage
	if s.server {
		want = append(want, x509.ExtKeyUsageServerAuth)
	}
	if s.client {
		want = append(want, x509.ExtKeyUsageClientAuth)
	}
	// Extra usages are fine, as they are for Cilium: the chart's own certificates
	// (tls.auto.method=helm) carry serverAuth and clientAuth on every certificate.
	for _, u := range want {
		if !slices.Contains(c.ExtKeyUsage, u) && !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) {
			return fmt.Errorf("extended key usages %v lack %v", c.ExtKeyUsage, u)
		}
	}
	if c.NotAfter.Before(until) {
		return fmt.Errorf("expires %s", c.NotAfter.UTC().Format(time.RFC3339))
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	_, err = c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: want})
	return err
}

// VerifyCertSecret checks a clustermesh-apiserver certificate Secret of cluster name
// against ca: keys ca.crt, tls.crt, tls.key present; ca.crt contains ca; tls.crt chains
// to ca with at least the usages, and the CN and SANs, ciliumkit issues (see CertSecrets)
// and matches tls.key. The server certificate may carry SANs beyond those opts asks for,
// and any certificate usages beyond its own, as Cilium accepts. Errors
// never contain key material.
func VerifyCertSecret(sec *corev1.Secret, name string, ca *CA, opts *CertOptions) error {
	o := opts.withDefaults()
	for _, s := range certSpecs(name, o) {
		if s.secret != sec.Name {
			continue
		}
		for _, k := range []string{"ca.crt", "tls.crt", "tls.key"} {
			if len(sec.Data[k]) == 0 {
				return fmt.Errorf("certificate Secret %s/%s: missing key %s", sec.Namespace, sec.Name, k)
			}
		}
		if !bytes.Contains(sec.Data["ca.crt"], bytes.TrimSpace(ca.ca.CertPEM)) {
			return fmt.Errorf("certificate Secret %s/%s: ca.crt does not contain %s", sec.Namespace, sec.Name, ca)
		}
		if err := checkCert(sec.Data["tls.crt"], sec.Data["tls.key"], s, ca, time.Now(), false); err != nil {
			return fmt.Errorf("certificate Secret %s/%s: %w", sec.Namespace, sec.Name, err)
		}
		return nil
	}
	return fmt.Errorf("%s/%s is not a clustermesh-apiserver certificate Secret", sec.Namespace, sec.Name)
}
