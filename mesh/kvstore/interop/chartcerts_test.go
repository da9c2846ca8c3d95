package interop

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// testChartCerts: nara runs on the certificates the chart issues itself
// (clustermesh.apiserver.tls.auto.method=helm, signed by the mesh CA: serverAuth and
// clientAuth on every one). clustermesh.VerifyCertSecret accepts each, CertSecrets keeps
// them rather than reissuing, and Cilium accepts them: nara's etcd serves the chart's server
// certificate to hk's kvstoremesh, ciliumkit exported with the chart's admin certificate
// (see startFixture), and tokyo's etcd accepts the chart's remote certificate.
func testChartCerts(t *testing.T, f *fixture) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := f.pod(nara)
	existing := map[string]*corev1.Secret{}
	for name, s := range n.CertSecrets {
		existing[name] = s
		if eku := extKeyUsages(t, s); !slices.Contains(eku, x509.ExtKeyUsageServerAuth) || !slices.Contains(eku, x509.ExtKeyUsageClientAuth) {
			t.Errorf("chart-issued %s has extended key usages %v, want serverAuth and clientAuth", name, eku)
		}
		if err := clustermesh.VerifyCertSecret(s, nara.Name, f.mesh.CA, nil); err != nil {
			t.Errorf("VerifyCertSecret(chart-issued %s): %v", name, err)
		}
	}
	acs, err := clustermesh.CertSecrets(nara.Name, f.mesh.CA, nil, existing, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ac := range acs {
		if prev := existing[*ac.Name]; prev == nil || !bytes.Equal(ac.Data["tls.crt"], prev.Data["tls.crt"]) {
			t.Errorf("CertSecrets reissued the chart's %s instead of keeping it", *ac.Name)
		}
	}

	waitUntil(t, ctx, "kvstoremesh of hk syncs nara (chart server certificate)", func() (bool, string) {
		rc, err := remoteStatus(f.pod(hk), nara.Name)
		return err == nil && synced(rc), fmt.Sprintf("status %s, err %v", jsonOf(rc), err)
	})
	tc, err := kvstore.TLSConfigFromSecretData(n.CertSecrets[clustermesh.SecretRemoteCert].Data)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := f.pod(tokyo).EtcdEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: []string{ep}, TLS: tc})
	if err != nil {
		t.Fatalf("tokyo's etcd refused nara's chart-issued remote certificate: %v", err)
	}
	defer cli.Close()
	if _, err := cli.Get(ctx, kvstore.ClusterConfigKey(tokyo.Name)); err != nil {
		t.Errorf("read tokyo's config with nara's chart-issued remote certificate: %v", err)
	}
}

func extKeyUsages(t *testing.T, s *corev1.Secret) []x509.ExtKeyUsage {
	t.Helper()
	block, _ := pem.Decode(s.Data["tls.crt"])
	if block == nil {
		t.Fatalf("%s: tls.crt holds no PEM block", s.Name)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.ExtKeyUsage
}
