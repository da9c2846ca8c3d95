package helmsdk_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestRenderCiliumChart(t *testing.T) {
	c := testenv.CiliumChart(t)
	if c.Metadata.Version != "1.19.3" {
		t.Errorf("chart version %s, want 1.19.3 (the Cilium module in go.mod)", c.Metadata.Version)
	}
	for _, tc := range []struct {
		name string
		id   int
	}{{"tokyo", 1}, {"hk", 2}, {"edge-511", 511}} {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]any{"cluster": map[string]any{"name": tc.name, "id": tc.id}}
			if tc.id > 255 {
				vals["clustermesh"] = map[string]any{"maxConnectedClusters": 511}
			}
			m, err := helmsdk.Render(c, vals, nil)
			if err != nil {
				t.Fatal(err)
			}
			cm, err := m.ConfigMap("cilium-config")
			if err != nil {
				t.Fatal(err)
			}
			if got := cm.Data["cluster-name"]; got != tc.name {
				t.Errorf("cluster-name = %q, want %q", got, tc.name)
			}
			if got, want := cm.Data["cluster-id"], strconv.Itoa(tc.id); got != want {
				t.Errorf("cluster-id = %q, want %q", got, want)
			}
			if k := m.Kinds(); k["DaemonSet"] < 1 || k["Deployment"] < 1 {
				t.Errorf("rendered kinds %v lack the agent DaemonSet or operator Deployment", k)
			}
		})
	}
	// The chart's own validation runs: "default" cannot carry a cluster ID.
	_, err := helmsdk.Render(c, map[string]any{"cluster": map[string]any{"name": "default", "id": 3}}, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot use default value with cluster.id") {
		t.Errorf("render of cluster default/3: err = %v, want the chart's validation failure", err)
	}
}
