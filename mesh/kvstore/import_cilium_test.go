package kvstore

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// plainEtcd starts an etcd without TLS in dir and connects to it.
func plainEtcd(t *testing.T, dir string) (*testenv.Etcd, *clientv3.Client) {
	t.Helper()
	et, err := testenv.NewEtcd(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(et.Stop)
	cli, err := Connect(context.Background(), Config{Endpoints: []string{et.Endpoint}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return et, cli
}

// TestImporterAcceptsWhatCiliumAccepts: values Cilium's clustermesh-apiserver writes or a
// newer peer may write (an IPv4-mapped backend, a non-canonical IPv6 frontend, unknown
// fields, a port ciliumkit would not write) are held as written and counted as notes.
func TestImporterAcceptsWhatCiliumAccepts(t *testing.T) {
	ctx := t.Context()
	_, cli := plainEtcd(t, t.TempDir())
	base, _ := json.Marshal(service(tokyo, 1, 1))
	values := map[string]string{
		"mapped":    strings.Replace(string(base), `"10.244.0.1"`, `"::ffff:10.244.0.1"`, 1),
		"v6":        strings.Replace(string(base), `"10.96.0.1"`, `"2001:db8:0:0::a"`, 1),
		"newer":     strings.Replace(string(base), `"shared":true`, `"shared":true,"newField":{"x":[1,2]}`, 1),
		"zero-port": strings.Replace(string(base), `"Port":8001`, `"Port":0`, 1),
	}
	for name, v := range values {
		v = strings.Replace(v, `"name":"svc-1"`, `"name":"`+name+`"`, 1)
		if _, err := cli.Put(ctx, ServiceKey("tokyo", "ns-1", name), v); err != nil {
			t.Fatal(err)
		}
		values[name] = v
	}
	im := NewImporter(cli, "tokyo", nil)
	go im.Run(ctx)
	<-im.Synced()
	eventually(t, "every value held", func() bool { return im.Len() == len(values) })
	st := im.Stats()
	if len(st.Rejected) != 0 {
		t.Fatalf("rejected %v", st.Rejected)
	}
	if st.Notes["noncanonical-ip"] != 2 || st.Notes["unknown-field"] != 1 || st.Notes["bad-port"] != 1 {
		t.Fatalf("notes %v", st.Notes)
	}
	got, _ := im.Get(types.NamespacedName{Namespace: "ns-1", Name: "mapped"})
	if _, ok := got.Backends["::ffff:10.244.0.1"]; !ok {
		t.Fatalf("IPv4-mapped backend not kept as written: %v", got.Backends)
	}
	got, _ = im.Get(types.NamespacedName{Namespace: "ns-1", Name: "v6"})
	if _, ok := got.Frontends["2001:db8:0:0::a"]; !ok {
		t.Fatalf("non-canonical frontend not kept as written: %v", got.Frontends)
	}
	got, _ = im.Get(types.NamespacedName{Namespace: "ns-1", Name: "zero-port"})
	if bs, err := got.MeshBackends(); err != nil || len(bs) != 1 {
		t.Fatalf("the port-0 entry should be skipped, the other kept: %v %v", bs, err)
	}
}

// TestImporterFollowsKvstoremeshCache: a cluster config that says cached (what
// kvstoremesh writes into the local kvstore) makes the importer read
// cilium/cache/services/v1/<cluster>/ and wait for the cache canary, as agents do.
func TestImporterFollowsKvstoremeshCache(t *testing.T) {
	ctx := t.Context()
	_, cli := plainEtcd(t, t.TempDir())
	put := func(k, v string) {
		t.Helper()
		if _, err := cli.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	put(ClusterConfigKey("tokyo"), `{"id":1,"capabilities":{"syncedCanaries":true,"cached":true,"maxConnectedClusters":255}}`)
	cached, _ := json.Marshal(service(tokyo, 1, 1))
	stale, _ := json.Marshal(service(tokyo, 2, 1))
	put(CachedServicesPrefix("tokyo")+"ns-1/svc-1", string(cached))
	put(ServiceKey("tokyo", "ns-2", "svc-2"), string(stale)) // the state layout is not what agents read here
	put(ServicesSyncedKey("tokyo"), "2026-01-01T00:00:00Z")  // nor its canary

	im := NewImporter(cli, "tokyo", nil)
	go im.Run(ctx)
	eventually(t, "the cached service", func() bool { return im.Len() == 1 })
	select {
	case <-im.Synced():
		t.Fatal("synced on the state canary; the cache canary is not written yet")
	case <-time.After(200 * time.Millisecond):
	}
	put(CachedServicesSyncedKey("tokyo"), "2026-01-01T00:00:00Z")
	<-im.Synced()
	if _, ok := im.Get(types.NamespacedName{Namespace: "ns-1", Name: "svc-1"}); !ok || !im.Stats().Cached {
		t.Fatalf("held %v, cached %v", im.Services(), im.Stats().Cached)
	}
	// A change in the cache arrives through the watch.
	upd, _ := json.Marshal(service(tokyo, 1, 2))
	put(CachedServicesPrefix("tokyo")+"ns-1/svc-1", string(upd))
	eventually(t, "the update", func() bool {
		s, _ := im.Get(types.NamespacedName{Namespace: "ns-1", Name: "svc-1"})
		return s.Labels["version"] == "2"
	})
}

// TestImporterRelistsWhenStoreReplaced: the remote etcd comes back empty at the same
// address (a clustermesh-apiserver etcd on an emptyDir restarted at revision 1, with the
// same cluster ID) and is refilled; the importer notices and ends equal to the new
// contents.
func TestImporterRelistsWhenStoreReplaced(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	et, cli := plainEtcd(t, dir)
	exp, err := NewExporter(cli, tokyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	var old []*ClusterService
	for i := range 50 {
		old = append(old, service(tokyo, i, 1))
	}
	if err := exp.PutClusterConfig(ctx, Capabilities{MaxConnectedClusters: 255}); err != nil {
		t.Fatal(err)
	}
	if _, err := exp.Sync(ctx, old); err != nil {
		t.Fatal(err)
	}
	im := NewImporter(cli, "tokyo", &ImporterOptions{RetryInterval: 20 * time.Millisecond, CheckInterval: 50 * time.Millisecond})
	go im.Run(ctx)
	<-im.Synced()
	eventually(t, "the first set", func() bool { return im.Len() == 50 })

	et.Stop()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := et.Start(); err != nil {
		t.Fatal(err)
	}
	// The new kvstore holds services 40-109, version 2, written at low revisions.
	want := map[types.NamespacedName]*ClusterService{}
	var fresh []*ClusterService
	for i := 40; i < 110; i++ {
		s := service(tokyo, i, 2)
		fresh = append(fresh, s)
		want[name(s)] = s
	}
	retry(t, "config", func(ctx context.Context) error {
		return exp.PutClusterConfig(ctx, Capabilities{MaxConnectedClusters: 255})
	})
	retry(t, "sync", func(ctx context.Context) error { _, err := exp.Sync(ctx, fresh); return err })
	eventually(t, "the importer equal to the new kvstore", func() bool { return sameAs(im, want) })
	if im.Stats().Resets == 0 {
		t.Fatalf("no reset counted: %+v", im.Stats())
	}
}

// TestImporterListIsPaged: a list is read in pages, so a peer holding many large values
// cannot make one list response hold them all (60 values of 1.4 MiB: 84 MiB in one
// response before paging).
func TestImporterListIsPaged(t *testing.T) {
	ctx := t.Context()
	_, cli := plainEtcd(t, t.TempDir())
	big := strings.Repeat("x", 1400<<10)
	for i := range 60 {
		s := service(tokyo, i, 1)
		s.Labels["big"] = big
		b, _ := json.Marshal(s)
		if _, err := cli.Put(ctx, ServiceKey("tokyo", s.Namespace, s.Name), string(b)); err != nil {
			t.Fatal(err)
		}
	}
	// Small ones after the big ones, to see every page boundary crossed.
	for i := range 23 {
		s := service(tokyo, i, 1)
		s.Namespace = "zz"
		b, _ := json.Marshal(s)
		if _, err := cli.Put(ctx, ServiceKey("tokyo", s.Namespace, s.Name), string(b)); err != nil {
			t.Fatal(err)
		}
	}
	// The embedded etcd lives in this process and holds the values in its raft log, so
	// collect often: heap in use then follows what is live, not garbage awaiting a GC.
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	im := NewImporter(cli, "tokyo", &ImporterOptions{PageSize: 2, MaxValueSize: 64 << 10})
	go im.Run(ctx)
	<-im.Synced()
	close(stop)
	if im.Len() != 23 || im.Stats().Rejected["too-large"] != 60 {
		t.Fatalf("held %d, stats %+v", im.Len(), im.Stats())
	}
	grew := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("heap in use grew by %d MiB during the list of 84 MiB of values", grew>>20)
	if grew > 40<<20 {
		t.Fatalf("heap grew by %d MiB listing 60 values of 1.4 MiB in pages of 2", grew>>20)
	}
}

// TestImporterCheckSeesRefilledStore: a kvstore replaced by one with the same etcd
// cluster ID, refilled to the very revisions the old one had (config at 2, every service
// in one transaction at 3), is told apart by the check alone: no revision went back and
// the config key's revision is the same, but a held key now has another value at the
// revision it was accepted at. (A watch resumed on such a store would wait for revision
// 4 and never see the new values.)
func TestImporterCheckSeesRefilledStore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	et, cli := plainEtcd(t, dir)
	fill := func(version int) {
		t.Helper()
		exp, err := NewExporter(cli, tokyo, nil)
		if err != nil {
			t.Fatal(err)
		}
		var svcs []*ClusterService
		for i := range 50 {
			svcs = append(svcs, service(tokyo, i, version))
		}
		retry(t, "config", func(ctx context.Context) error {
			return exp.PutClusterConfig(ctx, Capabilities{MaxConnectedClusters: 255})
		})
		retry(t, "sync", func(ctx context.Context) error { _, err := exp.Sync(ctx, svcs); return err })
	}
	fill(1)
	im := NewImporter(cli, "tokyo", nil)
	lay := im.layoutOf(false)
	cfgKey := ClusterConfigKey("tokyo")
	r, err := cli.Get(ctx, cfgKey)
	if err != nil || len(r.Kvs) != 1 {
		t.Fatalf("config: %v, %v", r, err)
	}
	snap := snapshot{etcdCluster: r.Header.ClusterId, rev: r.Header.Revision, cfgRev: r.Kvs[0].ModRevision}
	if err := im.list(ctx, lay, snap.rev, 0); err != nil || im.Len() != 50 {
		t.Fatalf("list: %d held, %v", im.Len(), err)
	}
	if err := im.checkSame(ctx, cfgKey, lay.prefix, &snap); err != nil {
		t.Fatalf("check of the same store: %v", err)
	}

	et.Stop()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := et.Start(); err != nil {
		t.Fatal(err)
	}
	fill(2)
	r2, err := cli.Get(ctx, cfgKey)
	if err != nil || len(r2.Kvs) != 1 || r2.Header.ClusterId != snap.etcdCluster || r2.Header.Revision != snap.rev || r2.Kvs[0].ModRevision != snap.cfgRev {
		t.Fatalf("the new store is not a twin of the old one: %v, %v (old %+v)", r2, err, snap)
	}
	err = im.checkSame(ctx, cfgKey, lay.prefix, &snap)
	if !errors.Is(err, errStoreReplaced) || !strings.Contains(err.Error(), "another value") {
		t.Fatalf("check of the refilled store: %v, want errStoreReplaced for another value", err)
	}
}
