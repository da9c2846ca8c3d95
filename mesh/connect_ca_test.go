package mesh_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	chartpkg "github.com/ciliumkit/ciliumkit/internal/chart"
	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// TestConnectCAMismatch connects tokyo (new, given a CA) to hk, which already runs
// Cilium with the CA its chart generated. Refusing is the default; merging puts both
// CAs in each trust bundle, and the links verify across CAs.
func TestConnectCAMismatch(t *testing.T) {
	t.Parallel()
	cs := startClusters(t, "tokyo", "hk")
	tokyo, hk := cs[0], cs[1]
	ts := targets(cs)
	ctx := context.Background()
	c, _ := ciliumChart()
	if _, err := chartpkg.InstallOrUpgrade(ctx, hk.env.Config, c, map[string]any{"cluster": map[string]any{"name": "hk", "id": 2}}, nil); err != nil {
		t.Fatal(err)
	}
	hkCA := secret(t, hk.env, mesh.SecretCA)
	hkOwnCA, err := mesh.LoadCA(hkCA.Data["ca.crt"], hkCA.Data["ca.key"])
	if err != nil {
		t.Fatalf("hk's chart-generated CA: %v", err)
	}
	ca, err := mesh.NewCA(&mesh.CAOptions{CommonName: "platform mesh CA"})
	if err != nil {
		t.Fatal(err)
	}
	opts := &mesh.ConnectOptions{CA: ca, Enable: mesh.EnableOptions{ServiceType: mesh.NodePort}}
	_, err = mesh.Connect(ctx, ts, opts)
	var mm *mesh.CAMismatchError
	if !errors.As(err, &mm) || !errors.Is(err, mesh.ErrCAMismatch) {
		t.Fatalf("err = %v, want a CAMismatchError", err)
	}
	if mm.Fingerprints["tokyo"] != ca.Fingerprint() || mm.Fingerprints["hk"] != hkOwnCA.Fingerprint() {
		t.Errorf("fingerprints %v", mm.Fingerprints)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("error carries key material")
	}
	if _, _, _, found, _ := chartpkg.DeployedValues(tokyo.env.Config, "kube-system", "cilium"); found {
		t.Error("tokyo was written to although the CAs were refused")
	}

	var logs bytes.Buffer
	opts.CAMismatch = mesh.MergeCAs
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := mesh.Connect(ctx, ts, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "Cilium CA certificates do not match between clusters") {
		t.Error("no CA mismatch warning logged")
	}
	// hk kept its CA; tokyo got the caller's.
	if got := secret(t, hk.env, mesh.SecretCA).Data["ca.crt"]; !bytes.Equal(got, hkCA.Data["ca.crt"]) {
		t.Error("hk's CA was replaced")
	}
	if got := secret(t, tokyo.env, mesh.SecretCA).Data["ca.crt"]; !bytes.Equal(got, ca.CertPEM()) {
		t.Error("tokyo's CA is not the caller's")
	}
	for _, pair := range [][2]*cluster{{tokyo, hk}, {hk, tokyo}} {
		from, to := pair[0], pair[1]
		certs, err := pki.ParseCerts(secret(t, from.env, mesh.SecretRemoteCert).Data["ca.crt"])
		if err != nil || len(certs) != 2 {
			t.Fatalf("%s trust bundle: %d certificates, %v", from.env.Name, len(certs), err)
		}
		_, apiserver := podSpecs(t, from.env)
		verifyLink(t, from.env, apiserver, "kvstoremesh", peerEntry(t, from.env, mesh.SecretKVStoreMesh, to.env.Name), to.env)
	}
	rep, err := mesh.Connect(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Clusters {
		if r.Enable != "unchanged" || r.Connect != "unchanged" {
			t.Errorf("re-run with merged CAs: %+v", r)
		}
	}
}
