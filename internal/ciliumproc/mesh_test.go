package ciliumproc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cilium/cilium/api/v1/models"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ciliumkit/ciliumkit/internal/ciliumproc"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// TestKVStoreMeshMirrors checks the harness end to end without ciliumkit's kvstore package:
// hk's real kvstoremesh connects to tokyo's real etcd (initialised by etcdinit) with hk's
// remote certificate, over the veth link and the chart's host alias, and mirrors a key
// written there by hand.
func TestKVStoreMeshMirrors(t *testing.T) {
	m := ciliumproc.StartT(t, &ciliumproc.Options{Clusters: []ciliumproc.ClusterSpec{
		{Cluster: mesh.Cluster{Name: "tokyo", ID: 1}},
		{Cluster: mesh.Cluster{Name: "hk", ID: 2}, Peers: []string{"tokyo"}},
	}})
	tokyo, hk := m.Pod("tokyo"), m.Pod("hk")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Play tokyo's clustermesh-apiserver with its admin certificate.
	admin, err := tokyo.EtcdClient(ctx, clustermesh.SecretAdminCert)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	now := time.Now().UTC().Format(time.RFC3339)
	puts := map[string]string{
		"cilium/cluster-config/tokyo":                    `{"id":1,"capabilities":{"syncedCanaries":true,"maxConnectedClusters":255}}`,
		"cilium/state/services/v1/tokyo/default/web":     `{"cluster":"tokyo","namespace":"default","name":"web","frontends":{},"backends":{},"labels":{},"selector":{},"includeExternal":true,"shared":true,"clusterID":1}`,
		"cilium/.heartbeat":                              now,
		"cilium/synced/tokyo/cilium/state/nodes/v1":      now,
		"cilium/synced/tokyo/cilium/state/identities/v1": now,
		"cilium/synced/tokyo/cilium/state/ip/v1":         now,
		"cilium/synced/tokyo/cilium/state/services/v1":   now,
	}
	for k, v := range puts {
		if _, err := admin.Put(ctx, k, v); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}

	ready, err := hk.ReadinessURL(ciliumproc.KVStoreMesh)
	if err != nil {
		t.Fatal(err)
	}
	status := waitHTTP(t, ctx, ready, http.StatusOK)
	if status != "Ready" {
		t.Errorf("%s = %q, want Ready", ready, status)
	}
	api, err := hk.Forward(ciliumproc.KVStoreMeshAPIPort)
	if err != nil {
		t.Fatal(err)
	}
	var clusters []*models.RemoteCluster
	if err := json.Unmarshal([]byte(waitHTTP(t, ctx, "http://"+api+"/v1/cluster", http.StatusOK)), &clusters); err != nil {
		t.Fatal(err)
	}
	if len(clusters) != 1 || clusters[0].Name != "tokyo" || !clusters[0].Ready || clusters[0].Synced == nil || !clusters[0].Synced.Services {
		b, _ := json.Marshal(clusters)
		t.Errorf("kvstoremesh status = %s, want tokyo ready with services synced", b)
	}

	local, err := hk.EtcdClient(ctx, clustermesh.SecretAdminCert)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	for {
		r, err := local.Get(ctx, "cilium/cache/services/v1/tokyo/", clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Kvs) == 1 {
			if got, want := string(r.Kvs[0].Value), puts["cilium/state/services/v1/tokyo/default/web"]; got != want {
				t.Errorf("mirrored value = %s, want %s", got, want)
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("kvstoremesh mirrored %d keys", len(r.Kvs))
		case <-time.After(200 * time.Millisecond):
		}
	}
	if hk.Restarts(ciliumproc.KVStoreMesh) != 0 {
		t.Errorf("kvstoremesh restarted %d times", hk.Restarts(ciliumproc.KVStoreMesh))
	}
}

// waitHTTP polls url until it answers want and returns the body.
func waitHTTP(t *testing.T, ctx context.Context, url string, want int) string {
	t.Helper()
	var last string
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return strings.TrimSpace(string(b))
			}
			last = resp.Status + " " + string(b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s, want %d", url, last, want)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
