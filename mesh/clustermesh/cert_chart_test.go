package clustermesh_test

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// TestChartIssuedCertsAccepted: certificates the real chart issues itself
// (clustermesh.apiserver.tls.auto.method=helm) carry serverAuth and clientAuth on every
// certificate. Cilium accepts them, so VerifyCertSecret accepts them and CertSecrets keeps
// them instead of reissuing.
func TestChartIssuedCertsAccepted(t *testing.T) {
	m, _ := testenv.RenderCilium(t, map[string]any{
		"cluster": map[string]any{"name": "tokyo", "id": 1},
		"clustermesh": map[string]any{
			"useAPIServer": true,
			"apiserver": map[string]any{
				"tls": map[string]any{"auto": map[string]any{"enabled": true, "method": "helm"}},
			},
		},
	})
	caSec, err := m.Secret("cilium-ca")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := clustermesh.LoadCA(caSec.Data["ca.crt"], caSec.Data["ca.key"])
	if err != nil {
		t.Fatal(err)
	}
	names := []string{clustermesh.SecretServerCert, clustermesh.SecretAdminCert, clustermesh.SecretRemoteCert, clustermesh.SecretLocalCert}
	existing := map[string]*corev1.Secret{}
	for _, n := range names {
		sec, err := m.Secret(n)
		if err != nil {
			t.Fatal(err)
		}
		existing[n] = sec
		if err := clustermesh.VerifyCertSecret(sec, "tokyo", ca, nil); err != nil {
			t.Errorf("%s issued by the chart: %v", n, err)
		}
	}
	acs, err := clustermesh.CertSecrets("tokyo", ca, nil, existing, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ac := range acs {
		if !bytes.Equal(ac.Data["tls.crt"], existing[*ac.Name].Data["tls.crt"]) {
			t.Errorf("%s: the chart's certificate was reissued", *ac.Name)
		}
	}
}
