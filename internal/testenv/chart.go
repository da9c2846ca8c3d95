package testenv

import (
	"testing"

	helmchart "helm.sh/helm/v3/pkg/chart"

	"github.com/ciliumkit/ciliumkit/internal/chart"
)

// CiliumChart loads the real Cilium Helm chart of the Cilium module in go.mod, failing t
// when it cannot. Every call loads a fresh copy, so tests may change it.
func CiliumChart(t testing.TB) *helmchart.Chart {
	t.Helper()
	path, err := CiliumChartPath()
	if err != nil {
		t.Fatalf("cilium chart: %v", err)
	}
	c, err := chart.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
