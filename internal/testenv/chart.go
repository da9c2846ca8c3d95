package testenv

import (
	"testing"

	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
)

// CiliumChart loads the real Cilium Helm chart of the Cilium module in go.mod, failing t
// when it cannot. Every call loads a fresh copy, so tests may change it.
func CiliumChart(t testing.TB) *helmchart.Chart {
	t.Helper()
	path, err := CiliumChartPath()
	if err != nil {
		t.Fatalf("cilium chart: %v", err)
	}
	c, err := helmsdk.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// RenderCilium renders the real Cilium chart (CiliumChart) with values, client-side, and
// returns the manifest and the data of its cilium-config ConfigMap, failing t on any error.
func RenderCilium(t testing.TB, values map[string]any) (*helmsdk.Manifest, map[string]string) {
	t.Helper()
	m, err := helmsdk.Render(CiliumChart(t), values, nil)
	if err != nil {
		t.Fatalf("render cilium chart: %v", err)
	}
	cm, err := m.ConfigMap("cilium-config")
	if err != nil {
		t.Fatal(err)
	}
	return m, cm.Data
}
