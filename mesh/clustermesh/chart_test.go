package clustermesh_test

import (
	"context"
	"testing"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// TestCiliumChart: the chart of the pinned Cilium version is found from the program's
// build information, the same chart the tests use.
func TestCiliumChart(t *testing.T) {
	c, err := clustermesh.CiliumChart(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, version, err := testenv.ModuleDir(clustermesh.CiliumModule)
	if err != nil {
		t.Fatal(err)
	}
	if version != clustermesh.PinnedCiliumVersion {
		t.Errorf("go.mod requires Cilium %s, PinnedCiliumVersion is %s", version, clustermesh.PinnedCiliumVersion)
	}
	if "v"+c.Metadata.Version != version {
		t.Fatalf("chart %s, module %s", c.Metadata.Version, version)
	}
	if _, err := clustermesh.CheckChartVersion(c.Metadata.Version); err != nil {
		t.Fatal(err)
	}
}
