package mesh_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/mesh"
)

func TestPreflight(t *testing.T) {
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "cilium", Version: "1.19.3"}}
	old := &chart.Chart{Metadata: &chart.Metadata{Name: "cilium", Version: "1.14.2"}}
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	tgt := func(name string, id uint32, c *chart.Chart) mesh.Target {
		return mesh.Target{Cluster: mesh.Cluster{Name: name, ID: id}, Config: cfg, Chart: c}
	}
	ok := []mesh.Target{tgt("tokyo", 1, ch), tgt("hk", 2, ch)}
	if err := mesh.Preflight(ok, nil); err != nil {
		t.Errorf("valid pair: %v", err)
	}
	odd := tgt("osaka", 3, ch)
	odd.Values = map[string]any{"clustermesh": map[string]any{"maxConnectedClusters": 511}}
	bad := []mesh.Target{tgt("tokyo", 1, ch), tgt("tokyo", 2, ch), tgt("hk", 2, old), odd, {Cluster: mesh.Cluster{Name: "nocfg", ID: 9}, Chart: ch}}
	err := mesh.Preflight(bad, &mesh.ConnectOptions{Topology: mesh.Pair})
	if !errors.Is(err, mesh.ErrPreflight) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		`cluster name "tokyo" used by targets 0 and 1`,
		`cluster ID 2 used by "tokyo" and "hk"`,
		`cluster "hk": unsupported Cilium chart version: 1.14.2`,
		`cluster "osaka": Values set clustermesh.maxConnectedClusters 511, the mesh uses 255`,
		`cluster "nocfg": no REST config`,
		"topology pair needs exactly 2 clusters, got 5",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
	if err := mesh.Preflight(ok[:1], nil); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("single cluster: %v", err)
	}
	err = mesh.Preflight(ok, &mesh.ConnectOptions{Topology: mesh.OneWay, Enable: mesh.EnableOptions{AuthMode: mesh.AuthCluster}})
	if err == nil || !strings.Contains(err.Error(), "one-way") {
		t.Errorf("one-way under authMode cluster: %v", err)
	}
}

func TestTopologyLinks(t *testing.T) {
	for _, tc := range []struct {
		t    mesh.Topology
		n    int
		want string
	}{
		{mesh.FullMesh, 3, "[[1 2] [0 2] [0 1]]"},
		{mesh.Pair, 2, "[[1] [0]]"},
		{mesh.OneWay, 3, "[[1 2] [] []]"},
	} {
		if got := fmt.Sprint(tc.t.Links(tc.n)); got != tc.want {
			t.Errorf("%s(%d) = %s, want %s", tc.t, tc.n, got, tc.want)
		}
	}
}
