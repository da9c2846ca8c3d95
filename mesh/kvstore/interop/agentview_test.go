package interop

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/internal/ciliumproc"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// etcdConfig is one peer entry of the cilium-clustermesh or cilium-kvstoremesh Secret.
type etcdConfig struct {
	Endpoints     []string `json:"endpoints"`
	TrustedCAFile string   `json:"trusted-ca-file"`
	KeyFile       string   `json:"key-file"`
	CertFile      string   `json:"cert-file"`
}

// peerConfig returns how the pod's agents (secret cilium-clustermesh) or kvstoremesh
// (cilium-kvstoremesh) reach peer, as the chart rendered it: a kvstore.Config that dials
// target (the host's way to the endpoint's pod) and verifies the endpoint's host name,
// presenting the certificate Secret the config's files are projected from.
func peerConfig(t *testing.T, p *ciliumproc.Pod, secret, peer string, target *ciliumproc.Pod) kvstore.Config {
	t.Helper()
	s := p.Rendered.Secrets[secret]
	if s == nil || len(s.Data[peer]) == 0 {
		t.Fatalf("%s: the chart rendered no %s entry for %s", p.Cluster.Name, secret, peer)
	}
	var c etcdConfig
	if err := yaml.UnmarshalStrict(s.Data[peer], &c); err != nil {
		t.Fatalf("%s: %s entry %s: %v", p.Cluster.Name, secret, peer, err)
	}
	if len(c.Endpoints) != 1 {
		t.Fatalf("%s: %s entry %s has endpoints %v", p.Cluster.Name, secret, peer, c.Endpoints)
	}
	// The files come from the certificate Secrets the Deployment / DaemonSet project.
	var certSecret string
	switch path.Base(c.CertFile) {
	case "local-etcd-client.crt":
		certSecret = clustermesh.SecretLocalCert
	case "common-etcd-client.crt":
		certSecret = clustermesh.SecretRemoteCert
	default:
		t.Fatalf("%s: %s entry %s uses cert-file %s", p.Cluster.Name, secret, peer, c.CertFile)
	}
	tc, err := kvstore.TLSConfigFromSecretData(p.CertSecrets[certSecret].Data)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.Endpoints[0])
	if err != nil {
		t.Fatal(err)
	}
	tc.ServerName = u.Hostname()
	ep, err := target.EtcdEndpoint()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s reaches %s as %s (verified as %s) with %s", p.Cluster.Name, peer, c.Endpoints[0], tc.ServerName, certSecret)
	return kvstore.Config{Endpoints: []string{ep}, TLS: tc}
}

// importAll runs an importer of cluster through cfg until it is synced and holds want
// services, and returns it; the import stops when t ends.
func importAll(t *testing.T, cfg kvstore.Config, cluster string, want int) *kvstore.Importer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
	defer ccancel()
	cli, err := kvstore.Connect(cctx, cfg)
	if err != nil {
		t.Fatalf("connect for %s: %v", cluster, err)
	}
	t.Cleanup(func() { cli.Close() })
	im := kvstore.NewImporter(cli, cluster, nil)
	done := make(chan struct{})
	go func() { defer close(done); im.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	select {
	case <-im.Synced():
	case <-wctx.Done():
		t.Fatalf("importer of %s not synced: stats %s", cluster, jsonOf(im.Stats()))
	}
	waitUntil(t, wctx, "importer of "+cluster, func() (bool, string) {
		return im.Len() == want, fmt.Sprintf("holds %d services, want %d; stats %s", im.Len(), want, jsonOf(im.Stats()))
	})
	return im
}

// sameServices checks that im holds exactly want, compared as JSON.
func sameServices(t *testing.T, im *kvstore.Importer, want []*kvstore.ClusterService) {
	t.Helper()
	for _, w := range want {
		got, ok := im.Get(types.NamespacedName{Namespace: w.Namespace, Name: w.Name})
		if !ok {
			t.Errorf("importer lacks %s", w)
			continue
		}
		if g, w := jsonOf(got), jsonOf(w); g != w {
			t.Errorf("imported\n%s\nwant\n%s", g, w)
		}
	}
	if im.Len() != len(want) {
		t.Errorf("importer holds %d services, want %d", im.Len(), len(want))
	}
	if st := im.Stats(); len(st.Rejected) != 0 {
		t.Errorf("importer rejected values: %s", jsonOf(st))
	}
}

// testAgentView: ciliumkit's Importer reads tokyo's services as hk's agents do, from hk's
// kvstoremesh cache with the local certificate and the cilium-clustermesh config the chart
// renders, choosing the cache from the cluster config's capabilities.cached; and directly
// from tokyo with hk's remote certificate and the cilium-kvstoremesh config. Both equal
// what tokyo exported.
func testAgentView(t *testing.T, f *fixture) {
	h, tk := f.pod(hk), f.pod(tokyo)
	want := f.exported[tokyo.Name]
	t.Run("cache", func(t *testing.T) {
		t.Parallel()
		im := importAll(t, peerConfig(t, h, clustermesh.SecretClusterMesh, tokyo.Name, h), tokyo.Name, len(want))
		sameServices(t, im, want)
		if !im.Stats().Cached {
			t.Errorf("importer through hk's kvstoremesh did not read the cache: stats %s", jsonOf(im.Stats()))
		}
	})
	t.Run("state", func(t *testing.T) {
		t.Parallel()
		im := importAll(t, peerConfig(t, h, clustermesh.SecretKVStoreMesh, tokyo.Name, tk), tokyo.Name, len(want))
		sameServices(t, im, want)
		if im.Stats().Cached {
			t.Errorf("importer of tokyo's own etcd read a cache: stats %s", jsonOf(im.Stats()))
		}
	})
}
