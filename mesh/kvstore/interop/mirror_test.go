package interop

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/ciliumproc"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// testMirror: Cilium's kvstoremesh of hk connects to tokyo's etcd (etcdinit's users and
// roles) with hk's remote certificate, becomes ready with tokyo ready and synced, mirrors
// ciliumkit's export byte for byte into cilium/cache/services/v1/tokyo/ and writes the cache
// canaries and a cluster config with capabilities.cached.
func testMirror(t *testing.T, f *fixture) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h := f.pod(hk)

	ready, err := h.ReadinessURL(ciliumproc.KVStoreMesh)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "kvstoremesh of hk ready", func() (bool, string) {
		code, body, err := httpGet(ready)
		return code == http.StatusOK && body == "Ready", fmt.Sprintf("GET %s: %d %q %v", ready, code, body, err)
	})
	waitUntil(t, ctx, "kvstoremesh status of tokyo", func() (bool, string) {
		rc, err := remoteStatus(h, tokyo.Name)
		return err == nil && synced(rc) && rc.NumSharedServices == int64(len(f.exported[tokyo.Name])),
			fmt.Sprintf("status %s, err %v", jsonOf(rc), err)
	})
	rc, _ := remoteStatus(h, tokyo.Name)
	if c := rc.Config; c == nil || !c.Retrieved || !c.SyncCanaries || c.ClusterID != int64(tokyo.ID) || c.Kvstoremesh {
		t.Errorf("kvstoremesh read tokyo's config as %s, want retrieved, syncCanaries, clusterID %d, not kvstoremesh", jsonOf(c), tokyo.ID)
	}
	if metrics, err := h.URL(ciliumproc.KVStoreMesh, "kvmesh-metrics", "/metrics"); err != nil {
		t.Error(err)
	} else if code, body, err := httpGet(metrics); err != nil || code != http.StatusOK {
		t.Errorf("GET %s: %d %v", metrics, code, err)
	} else if lines := grepLines(body, `remote_cluster_readiness_status{`); !strings.Contains(lines, `target_cluster="tokyo"} 1`) {
		t.Errorf("kvstoremesh metrics lack readiness 1 for tokyo:\n%s", lines)
	}

	src, err := f.pod(tokyo).EtcdClient(ctx, clustermesh.SecretAdminCert)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := h.EtcdClient(ctx, clustermesh.SecretAdminCert)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	state, err := list(ctx, src, kvstore.ClusterServicesPrefix(tokyo.Name))
	if err != nil {
		t.Fatal(err)
	}
	if len(state) != len(f.exported[tokyo.Name]) {
		t.Errorf("tokyo holds %d service keys, ciliumkit exported %d", len(state), len(f.exported[tokyo.Name]))
	}
	var cache map[string]string
	waitUntil(t, ctx, "mirror of tokyo's services in hk", func() (bool, string) {
		cache, err = list(ctx, dst, kvstore.CachedServicesPrefix(tokyo.Name))
		return err == nil && len(cache) == len(state), fmt.Sprintf("%d cached keys, %d in tokyo, err %v", len(cache), len(state), err)
	})
	for k, v := range state {
		ck := kvstore.CachedServicesPrefix(tokyo.Name) + strings.TrimPrefix(k, kvstore.ClusterServicesPrefix(tokyo.Name))
		if got, ok := cache[ck]; !ok {
			t.Errorf("%s not mirrored as %s", k, ck)
		} else if got != v {
			t.Errorf("%s mirrored as\n%s\nwant (tokyo's value)\n%s", ck, got, v)
		}
	}
	for _, p := range []string{"services", "nodes", "identities", "ip"} {
		key := kvstore.SyncedKey(tokyo.Name, "cilium/cache/"+p+"/v1")
		r, err := dst.Get(ctx, key)
		if err != nil || len(r.Kvs) != 1 {
			t.Errorf("hk has no cache canary %s (err %v)", key, err)
		}
	}
	r, err := dst.Get(ctx, kvstore.ClusterConfigKey(tokyo.Name))
	if err != nil || len(r.Kvs) != 1 {
		t.Fatalf("hk has no cluster config of tokyo (err %v)", err)
	}
	cfg, err := kvstore.DecodeClusterConfig(tokyo.Name, r.Kvs[0].Value)
	if err != nil {
		t.Fatalf("cluster config kvstoremesh wrote for tokyo: %v", err)
	}
	if !cfg.Capabilities.Cached || !cfg.Capabilities.SyncedCanaries || cfg.ID != tokyo.ID {
		t.Errorf("kvstoremesh wrote tokyo's config %s, want id %d, cached and syncedCanaries", r.Kvs[0].Value, tokyo.ID)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
