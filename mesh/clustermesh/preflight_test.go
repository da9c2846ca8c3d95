package clustermesh_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

func TestPreflight(t *testing.T) {
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "cilium", Version: "1.19.3"}}
	old := &chart.Chart{Metadata: &chart.Metadata{Name: "cilium", Version: "1.14.2"}}
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	tgt := func(name string, id uint32, c *chart.Chart) clustermesh.Target {
		return clustermesh.Target{Cluster: mesh.Cluster{Name: name, ID: id}, Config: cfg, Chart: c}
	}
	ok := []clustermesh.Target{tgt("tokyo", 1, ch), tgt("hk", 2, ch)}
	if err := clustermesh.Preflight(ok, nil); err != nil {
		t.Errorf("valid pair: %v", err)
	}
	odd := tgt("osaka", 3, ch)
	odd.Values = map[string]any{"clustermesh": map[string]any{"maxConnectedClusters": 511}}
	bad := []clustermesh.Target{tgt("tokyo", 1, ch), tgt("tokyo", 2, ch), tgt("hk", 2, old), odd, {Cluster: mesh.Cluster{Name: "nocfg", ID: 9}, Chart: ch}}
	err := clustermesh.Preflight(bad, &clustermesh.ConnectOptions{Topology: clustermesh.Pair})
	if !errors.Is(err, clustermesh.ErrPreflight) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		`cluster name "tokyo" used by targets 0 and 1`,
		`cluster ID 2 used by "tokyo" and "hk"`,
		`cluster "hk": clustermesh: unsupported Cilium chart version: 1.14.2`,
		`cluster "osaka": Values set clustermesh.maxConnectedClusters 511, the mesh uses 255`,
		`cluster "nocfg": no REST config`,
		"topology pair needs exactly 2 clusters, got 5",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
	if err := clustermesh.Preflight(ok[:1], nil); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("single cluster: %v", err)
	}
	err = clustermesh.Preflight(ok, &clustermesh.ConnectOptions{Topology: clustermesh.OneWay, Enable: clustermesh.EnableOptions{AuthMode: clustermesh.AuthCluster}})
	if err == nil || !strings.Contains(err.Error(), "one-way") {
		t.Errorf("one-way under authMode cluster: %v", err)
	}
}

func TestTopologyLinks(t *testing.T) {
	for _, tc := range []struct {
		t    clustermesh.Topology
		n    int
		want string
	}{
		{clustermesh.FullMesh, 3, "[[1 2] [0 2] [0 1]]"},
		{clustermesh.Pair, 2, "[[1] [0]]"},
		{clustermesh.OneWay, 3, "[[1 2] [] []]"},
	} {
		if got := fmt.Sprint(tc.t.Links(tc.n)); got != tc.want {
			t.Errorf("%s(%d) = %s, want %s", tc.t, tc.n, got, tc.want)
		}
	}
}
