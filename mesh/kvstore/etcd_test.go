package kvstore

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

var tokyo = mesh.Cluster{Name: "tokyo", ID: 1}

// startEtcd starts a real etcd with TLS and client certificate auth and connects to it
// with the test certificate, through TLSConfig and Connect.
func startEtcd(t testing.TB) (*testenv.Etcd, Config, *clientv3.Client) {
	t.Helper()
	et := testenv.StartEtcd(t, &testenv.EtcdOptions{TLS: true})
	tlsCfg, err := TLSConfig(et.CA.CertPEM, et.ClientCert.CertPEM, et.ClientCert.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Endpoints: []string{et.Endpoint}, TLS: tlsCfg}
	cli, err := Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return et, cfg, cli
}

// service i of cluster c: frontend 10.96.x.y:80, two backends on 10.244.x.y.
func service(c mesh.Cluster, i, version int) *ClusterService {
	s := NewClusterService(c, fmt.Sprintf("ns-%d", i%10), fmt.Sprintf("svc-%d", i))
	s.AddFrontend(lb.Frontend{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)}), 80), Protocol: lb.TCP}, "http")
	for b := 0; b < 2; b++ {
		s.AddBackend(lb.Backend{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 244, byte(i >> 8), byte(i)}), uint16(8000+b)), Protocol: lb.TCP}, fmt.Sprintf("p%d", b))
	}
	s.Labels["version"] = fmt.Sprint(version)
	return s
}

func name(s *ClusterService) types.NamespacedName {
	return types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
}

// recorder keeps the events an importer reports.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) on(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// retry repeats an etcd write until it succeeds, across a restart.
func retry(t *testing.T, what string, f func(ctx context.Context) error) {
	t.Helper()
	var err error
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = f(ctx)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

// sameAs reports whether the importer holds exactly want, compared in the wire format.
func sameAs(im *Importer, want map[types.NamespacedName]*ClusterService) bool {
	if im.Len() != len(want) {
		return false
	}
	for nn, w := range want {
		got, ok := im.Get(nn)
		if !ok {
			return false
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(w)
		if string(a) != string(b) {
			return false
		}
	}
	return true
}

// noDuplicates fails when an upsert of one key revision, or a delete of a key that was
// not held, was reported.
func noDuplicates(t *testing.T, events []Event) {
	t.Helper()
	held := map[types.NamespacedName]int64{}
	for _, e := range events {
		switch e.Kind {
		case EventUpsert:
			if r, ok := held[e.Name]; ok && r >= e.Revision {
				t.Fatalf("duplicate or stale upsert of %s at revision %d (held %d)", e.Name, e.Revision, r)
			}
			held[e.Name] = e.Revision
		case EventDelete:
			if _, ok := held[e.Name]; !ok {
				t.Fatalf("delete of %s, which was not held", e.Name)
			}
			delete(held, e.Name)
		}
	}
}

func TestConnectRequiresClientCertificate(t *testing.T) {
	et, cfg, _ := startEtcd(t)
	ctx := context.Background()

	noCert := cfg.TLS.Clone()
	noCert.Certificates = nil
	if cli, err := Connect(ctx, Config{Endpoints: cfg.Endpoints, TLS: noCert, DialTimeout: time.Second}); err == nil {
		cli.Close()
		t.Fatal("a client without a certificate connected")
	}

	otherCA, err := pki.NewCA(pki.Options{CommonName: "other-ca"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := otherCA.Issue(pki.Options{CommonName: "remote", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	strangerTLS, err := TLSConfig(et.CA.CertPEM, stranger.CertPEM, stranger.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if cli, err := Connect(ctx, Config{Endpoints: cfg.Endpoints, TLS: strangerTLS, DialTimeout: time.Second}); err == nil {
		cli.Close()
		t.Fatal("a client with a certificate of another CA connected")
	}

	// A second certificate from the cluster's CA works.
	remote, err := et.CA.Issue(pki.Options{CommonName: "remote", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	remoteTLS, err := TLSConfig(et.CA.CertPEM, remote.CertPEM, remote.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := Connect(ctx, Config{Endpoints: cfg.Endpoints, TLS: remoteTLS})
	if err != nil {
		t.Fatalf("a certificate of the cluster's CA was refused: %v", err)
	}
	cli.Close()
}

// TestConnectWithMeshCertificates reaches the etcd with the remote client certificate the
// ClusterMesh connect step issues (clustermesh.CertSecrets), signed by the etcd's CA.
func TestConnectWithMeshCertificates(t *testing.T) {
	et, cfg, cli := startEtcd(t)
	ca, err := clustermesh.LoadCA(et.CA.CertPEM, et.CA.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := clustermesh.CertSecrets("tokyo", ca, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var remote map[string][]byte
	for _, s := range secrets {
		if *s.Name == clustermesh.SecretRemoteCert {
			remote = s.Data
		}
	}
	tlsCfg, err := TLSConfigFromSecretData(remote)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	remoteCli, err := Connect(ctx, Config{Endpoints: cfg.Endpoints, TLS: tlsCfg})
	if err != nil {
		t.Fatalf("the mesh's remote certificate was refused: %v", err)
	}
	defer remoteCli.Close()
	exp, _ := NewExporter(cli, tokyo, nil)
	if err := exp.Upsert(ctx, service(tokyo, 1, 1)); err != nil {
		t.Fatal(err)
	}
	im := NewImporter(remoteCli, "tokyo", nil)
	go im.Run(ctx)
	<-im.Synced()
	if im.Len() != 1 {
		t.Fatalf("imported %d services", im.Len())
	}
	if _, err := TLSConfigFromSecretData(map[string][]byte{"ca.crt": remote["ca.crt"]}); err == nil {
		t.Fatal("secret data without a certificate accepted")
	}
}

func TestExportImportAcrossRestart(t *testing.T) {
	et, cfg, cliA := startEtcd(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Cluster A (tokyo) exports.
	exp, err := NewExporter(cliA, tokyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.PutClusterConfig(ctx, Capabilities{SyncedCanaries: true, MaxConnectedClusters: 255}); err != nil {
		t.Fatal(err)
	}
	const n = 200
	want := map[types.NamespacedName]*ClusterService{}
	var batch []*ClusterService
	for i := 0; i < n; i++ {
		s := service(tokyo, i, 1)
		want[name(s)] = s
		batch = append(batch, s)
	}
	if err := exp.Upsert(ctx, batch...); err != nil {
		t.Fatal(err)
	}

	// Cluster B imports tokyo's services over its own connection.
	cliB, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cliB.Close()
	rec := &recorder{}
	im := NewImporter(cliB, tokyo.Name, &ImporterOptions{OnEvent: rec.on, RetryInterval: 50 * time.Millisecond, MaxValueSize: 64 << 10})
	done := make(chan error, 1)
	go func() { done <- im.Run(ctx) }()

	eventually(t, "the first list", func() bool { return im.Stats().Lists >= 1 })
	select {
	case <-im.Synced():
		t.Fatal("synced before the canary was written")
	default:
	}
	if err := exp.MarkSynced(ctx); err != nil {
		t.Fatal(err)
	}
	<-im.Synced()
	eventually(t, "all services imported", func() bool { return sameAs(im, want) })

	// Untrusted data written straight into tokyo's prefix is rejected and counted.
	raw := func(key, value string) {
		t.Helper()
		if _, err := cliA.Put(ctx, key, value); err != nil {
			t.Fatal(err)
		}
	}
	good, _ := json.Marshal(service(tokyo, 999, 1))
	raw(ServiceKey("tokyo", "ns-9", "svc-999"), strings.Replace(string(good), `"cluster":"tokyo"`, `"cluster":"hk"`, 1))
	raw(ServiceKey("tokyo", "ns-9", "svc-998"), `{"cluster":"tokyo","evil":true}`) // no namespace/name

	raw(ServiceKey("tokyo", "ns-9", "svc-997"), strings.Repeat(" ", 100<<10)+string(good))
	raw(ServiceKey("tokyo", "ns-9", "svc-996"), strings.Replace(strings.Replace(string(good), "svc-999", "svc-996", 1), "10.244.3.231", "10.244.3.256", 1))
	raw(ServiceKey("tokyo", "ns-9", "deep/er"), string(good))
	// A held service replaced by garbage is dropped, reported as a delete.
	raw(ServiceKey("tokyo", "ns-0", "svc-0"), `not json`)
	delete(want, types.NamespacedName{Namespace: "ns-0", Name: "svc-0"})
	eventually(t, "rejections counted", func() bool {
		r := im.Stats().Rejected
		return r["cluster-mismatch"] == 1 && r["name-mismatch"] == 1 && r["too-large"] == 1 && r["bad-ip"] == 1 && r["bad-key"] == 1 && r["malformed"] == 1
	})

	eventually(t, "garbage replacing a service dropped it", func() bool { return sameAs(im, want) })

	// Restart etcd in the middle of the import.
	et.Stop()
	time.Sleep(300 * time.Millisecond)
	if err := et.Start(); err != nil {
		t.Fatal(err)
	}
	// Changes after the restart: 20 updated, 10 deleted, 10 new.
	for i := 1; i <= 20; i++ {
		s := service(tokyo, i, 2)
		want[name(s)] = s
		retry(t, "update", func(ctx context.Context) error { return exp.Upsert(ctx, s) })
	}
	for i := 21; i <= 30; i++ {
		nn := types.NamespacedName{Namespace: fmt.Sprintf("ns-%d", i%10), Name: fmt.Sprintf("svc-%d", i)}
		delete(want, nn)
		retry(t, "delete", func(ctx context.Context) error { return exp.Delete(ctx, nn) })
	}
	for i := n; i < n+10; i++ {
		s := service(tokyo, i, 1)
		want[name(s)] = s
		retry(t, "add", func(ctx context.Context) error { return exp.Upsert(ctx, s) })
	}
	eventually(t, "the import to catch up after the restart", func() bool { return sameAs(im, want) })

	events := rec.snapshot()
	noDuplicates(t, events)
	// Each of the n+10 services was accepted once per version written: n, 20 updates,
	// 10 new; svc-0 and the 10 deleted ones were deleted once each.
	var up, del int
	for _, e := range events {
		if e.Kind == EventUpsert {
			up++
		} else {
			del++
		}
	}
	if up != n+20+10 || del != 1+10 {
		t.Errorf("%d upserts and %d deletes, want %d and %d", up, del, n+30, 11)
	}
	st := im.Stats()
	if st.Accepted != uint64(up) || st.Deleted != uint64(del) {
		t.Errorf("stats %+v disagree with %d upserts, %d deletes", st, up, del)
	}
	t.Logf("stats after the restart: %+v", st)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestImporterRelistDiffs runs an importer, stops it, changes the exported set and compacts
// etcd, then runs it again: the second list reports exactly the differences.
func TestImporterRelistDiffs(t *testing.T) {
	_, _, cli := startEtcd(t)
	ctx := context.Background()
	exp, err := NewExporter(cli, tokyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []*ClusterService
	for i := 0; i < 50; i++ {
		all = append(all, service(tokyo, i, 1))
	}
	if err := exp.Upsert(ctx, all...); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	im := NewImporter(cli, tokyo.Name, &ImporterOptions{OnEvent: rec.on})
	runFor := func(until func() bool) {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- im.Run(rctx) }()
		eventually(t, "import", until)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	runFor(func() bool { return im.Len() == 50 })
	before := len(rec.snapshot())

	// While the importer is stopped: 5 updated, 5 deleted, 5 new, 35 untouched.
	var changed []*ClusterService
	for i := 0; i < 5; i++ {
		changed = append(changed, service(tokyo, i, 2), service(tokyo, 100+i, 1))
	}
	if err := exp.Upsert(ctx, changed...); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 10; i++ {
		if err := exp.Delete(ctx, name(all[i])); err != nil {
			t.Fatal(err)
		}
	}
	r, err := cli.Get(ctx, HeartbeatKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Compact(ctx, r.Header.Revision); err != nil {
		t.Fatal(err)
	}
	runFor(func() bool { return im.Stats().Lists == 2 && im.Len() == 50 })

	events := rec.snapshot()
	noDuplicates(t, events)
	var got []string
	for _, e := range events[before:] {
		got = append(got, e.Kind.String()+" "+e.Name.String())
	}
	if len(got) != 15 {
		t.Fatalf("second run reported %d events, want 15: %v", len(got), got)
	}
	for i := 0; i < 5; i++ {
		for _, w := range []string{"upsert " + name(service(tokyo, i, 2)).String(), "upsert " + name(service(tokyo, 100+i, 1)).String(), "delete " + name(all[5+i]).String()} {
			if !strings.Contains(strings.Join(got, "\n"), w) {
				t.Errorf("missing %q in %v", w, got)
			}
		}
	}
	if s, _ := im.Get(name(all[0])); s.Labels["version"] != "2" {
		t.Errorf("svc-0 not updated: %v", s.Labels)
	}
}

// TestImporterCompactedWatch compacts etcd past the revision the importer's watch starts
// from: the watch fails with ErrCompacted, the importer lists again and catches up.
func TestImporterCompactedWatch(t *testing.T) {
	_, _, cli := startEtcd(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exp, _ := NewExporter(cli, tokyo, nil)
	want := map[types.NamespacedName]*ClusterService{}
	for i := 0; i < 20; i++ {
		s := service(tokyo, i, 1)
		want[name(s)] = s
		if err := exp.Upsert(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	im := NewImporter(cli, "tokyo", &ImporterOptions{OnEvent: rec.on, RetryInterval: 10 * time.Millisecond})
	var once sync.Once
	im.afterList = func() {
		once.Do(func() {
			// Between the first list and its watch: change, delete, add, then compact.
			s := service(tokyo, 3, 2)
			want[name(s)] = s
			if err := exp.Upsert(ctx, s); err != nil {
				t.Error(err)
			}
			gone := name(service(tokyo, 4, 1))
			delete(want, gone)
			if err := exp.Delete(ctx, gone); err != nil {
				t.Error(err)
			}
			s = service(tokyo, 50, 1)
			want[name(s)] = s
			r, err := cli.Put(ctx, ServiceKey("tokyo", s.Namespace, s.Name), mustJSON(t, s))
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := cli.Compact(ctx, r.Header.Revision); err != nil {
				t.Error(err)
			}
		})
	}
	go im.Run(ctx)
	eventually(t, "catching up after the compaction", func() bool { return im.Stats().Lists >= 2 && sameAs(im, want) })
	events := rec.snapshot()
	noDuplicates(t, events)
	if len(events) != 20+3 {
		t.Fatalf("%d events, want 23 (20 listed, 1 update, 1 delete, 1 add)", len(events))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImporterPinsClusterID(t *testing.T) {
	_, _, cli := startEtcd(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exp, _ := NewExporter(cli, tokyo, nil)
	if err := exp.PutClusterConfig(ctx, Capabilities{}); err != nil {
		t.Fatal(err)
	}
	if err := exp.Upsert(ctx, service(tokyo, 1, 1)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	im := NewImporter(cli, "tokyo", &ImporterOptions{OnEvent: rec.on, RetryInterval: 10 * time.Millisecond})
	go im.Run(ctx)
	<-im.Synced()
	eventually(t, "the service imported", func() bool { return im.Len() == 1 })

	// The cluster config now says tokyo is cluster 7: the importer lists again and drops
	// the service that claims ID 1.
	if _, err := cli.Put(ctx, ClusterConfigKey("tokyo"), `{"id":7}`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the service dropped", func() bool {
		st := im.Stats()
		return im.Len() == 0 && st.Lists == 2 && st.Rejected["cluster-mismatch"] == 1
	})
	ev := rec.snapshot()
	if len(ev) != 2 || ev[0].Kind != EventUpsert || ev[1].Kind != EventDelete {
		t.Fatalf("events %+v", ev)
	}
	// An invalid config stops the import of the cluster until it is fixed.
	if _, err := cli.Put(ctx, ClusterConfigKey("tokyo"), `{"id":600}`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the bad config counted", func() bool { return im.Stats().Rejected["bad-cluster-id"] == 1 })
	if _, err := cli.Put(ctx, ClusterConfigKey("tokyo"), `{"id":1}`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the service back", func() bool { return im.Len() == 1 })

	if err := im.Run(ctx); err != ErrAlreadyRunning {
		t.Fatalf("second Run: %v", err)
	}

	// An importer pinned to ID 3 refuses the config that says 1.
	pinned := NewImporter(cli, "tokyo", &ImporterOptions{ClusterID: 3, RetryInterval: 10 * time.Millisecond})
	go pinned.Run(ctx)
	eventually(t, "the pinned importer refusing the config", func() bool { return pinned.Stats().Rejected["cluster-mismatch"] == 1 })
	if pinned.Len() != 0 {
		t.Fatalf("pinned importer imported %d services", pinned.Len())
	}
}

func TestExporterRefusesOtherClusters(t *testing.T) {
	_, _, cli := startEtcd(t)
	exp, err := NewExporter(cli, tokyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := service(mesh.Cluster{Name: "hk", ID: 2}, 1, 1)
	if err := exp.Upsert(context.Background(), s); err == nil {
		t.Fatal("exported a service of another cluster")
	}
	bad := service(tokyo, 1, 1)
	bad.Backends["not-an-ip"] = PortConfiguration{"": {Protocol: "TCP", Port: 1}}
	if err := exp.Upsert(context.Background(), bad); err == nil {
		t.Fatal("exported a service with a bad backend address")
	}
	if _, err := NewExporter(cli, mesh.Cluster{Name: "Tokyo", ID: 1}, nil); err == nil {
		t.Fatal("exporter for an invalid cluster name")
	}
}

func TestExporterSync(t *testing.T) {
	_, _, cli := startEtcd(t)
	ctx := context.Background()
	exp, _ := NewExporter(cli, tokyo, nil)
	var first []*ClusterService
	for i := 0; i < 10; i++ {
		first = append(first, service(tokyo, i, 1))
	}
	if err := exp.Upsert(ctx, first...); err != nil {
		t.Fatal(err)
	}
	// After a restart the cluster has services 5-14: 0-4 are stale.
	var now []*ClusterService
	for i := 5; i < 15; i++ {
		now = append(now, service(tokyo, i, 2))
	}
	deleted, err := exp.Sync(ctx, now)
	if err != nil || deleted != 5 {
		t.Fatalf("deleted %d, %v", deleted, err)
	}
	if err := exp.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := cli.Get(ctx, ClusterServicesPrefix("tokyo"), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || r.Count != 10 {
		t.Fatalf("%d keys, %v", r.Count, err)
	}
	for _, k := range []string{ServicesSyncedKey("tokyo"), HeartbeatKey, ServiceKey("tokyo", "ns-4", "svc-14")} {
		if r, err := cli.Get(ctx, k); err != nil || len(r.Kvs) != 1 {
			t.Errorf("%s missing: %v", k, err)
		}
	}
	if r, _ := cli.Get(ctx, ServiceKey("tokyo", "ns-0", "svc-0")); len(r.Kvs) != 0 {
		t.Error("stale svc-0 kept")
	}
}
