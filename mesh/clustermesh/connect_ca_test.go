package clustermesh_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
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
	if _, err := helmsdk.InstallOrUpgrade(ctx, hk.env.Config, c, map[string]any{"cluster": map[string]any{"name": "hk", "id": 2}}, nil); err != nil {
		t.Fatal(err)
	}
	hkCA := secret(t, hk.env, clustermesh.SecretCA)
	hkOwnCA, err := clustermesh.LoadCA(hkCA.Data["ca.crt"], hkCA.Data["ca.key"])
	if err != nil {
		t.Fatalf("hk's chart-generated CA: %v", err)
	}
	ca, err := clustermesh.NewCA(&clustermesh.CAOptions{CommonName: "platform mesh CA"})
	if err != nil {
		t.Fatal(err)
	}
	opts := &clustermesh.ConnectOptions{CA: ca, Enable: clustermesh.EnableOptions{ServiceType: clustermesh.NodePort}}
	_, err = clustermesh.Connect(ctx, ts, opts)
	var mm *clustermesh.CAMismatchError
	if !errors.As(err, &mm) || !errors.Is(err, clustermesh.ErrCAMismatch) {
		t.Fatalf("err = %v, want a CAMismatchError", err)
	}
	if mm.Fingerprints["tokyo"] != ca.Fingerprint() || mm.Fingerprints["hk"] != hkOwnCA.Fingerprint() {
		t.Errorf("fingerprints %v", mm.Fingerprints)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("error carries key material")
	}
	if _, _, _, found, _ := helmsdk.DeployedValues(tokyo.env.Config, "kube-system", "cilium"); found {
		t.Error("tokyo was written to although the CAs were refused")
	}

	var logs bytes.Buffer
	opts.CAMismatch = clustermesh.MergeCAs
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := clustermesh.Connect(ctx, ts, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "Cilium CA certificates do not match between clusters") {
		t.Error("no CA mismatch warning logged")
	}
	// hk kept its CA; tokyo got the caller's.
	if got := secret(t, hk.env, clustermesh.SecretCA).Data["ca.crt"]; !bytes.Equal(got, hkCA.Data["ca.crt"]) {
		t.Error("hk's CA was replaced")
	}
	if got := secret(t, tokyo.env, clustermesh.SecretCA).Data["ca.crt"]; !bytes.Equal(got, ca.CertPEM()) {
		t.Error("tokyo's CA is not the caller's")
	}
	for _, pair := range [][2]*cluster{{tokyo, hk}, {hk, tokyo}} {
		from, to := pair[0], pair[1]
		certs, err := pki.ParseCerts(secret(t, from.env, clustermesh.SecretRemoteCert).Data["ca.crt"])
		if err != nil || len(certs) != 2 {
			t.Fatalf("%s trust bundle: %d certificates, %v", from.env.Name, len(certs), err)
		}
		_, apiserver := podSpecs(t, from.env)
		verifyLink(t, from.env, apiserver, "kvstoremesh", peerEntry(t, from.env, clustermesh.SecretKVStoreMesh, to.env.Name), to.env)
	}
	rep, err := clustermesh.Connect(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Clusters {
		if r.Enable != "unchanged" || r.Connect != "unchanged" {
			t.Errorf("re-run with merged CAs: %+v", r)
		}
	}
}
