package interop

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/internal/ciliumproc"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// The clusters of the shared mesh (see the package documentation).
var (
	tokyo = mesh.Cluster{Name: "tokyo", ID: 1}
	hk    = mesh.Cluster{Name: "hk", ID: 2}
	osaka = mesh.Cluster{Name: "osaka", ID: 3}
	nara  = mesh.Cluster{Name: "nara", ID: 4}
	kyoto = mesh.Cluster{Name: "kyoto", ID: 6}
)

// osakaServiceCIDR is dual-stack, so that a Service can have an IPv6 clusterIP.
const osakaServiceCIDR = "10.96.0.0/16,2001:db8::/108"

// fixture is the running mesh every test of the package shares.
type fixture struct {
	mesh *ciliumproc.Mesh
	// kube is osaka's API server, watched by Cilium's clustermesh subcommand.
	kube *testenv.Env
	// exported are the services ciliumkit exported into tokyo and nara, by cluster name.
	exported map[string][]*kvstore.ClusterService
	// started is when the pods were up and the exporters had written their first heartbeat.
	started time.Time
}

func (f *fixture) pod(c mesh.Cluster) *ciliumproc.Pod { return f.mesh.Pod(c.Name) }

// startFixture starts osaka's API server and the five pods, then plays the
// clustermesh-apiserver of tokyo (Exporter with KeepAlive until t ends) and of nara (one
// heartbeat only).
func startFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{exported: map[string][]*kvstore.ClusterService{}}
	f.kube = testenv.Start(t, &testenv.Options{Name: osaka.Name, ServiceCIDR: osakaServiceCIDR})
	etcdOnly := &clustermesh.EnableOptions{DisableKVStoreMesh: true}
	f.mesh = ciliumproc.StartT(t, &ciliumproc.Options{Clusters: []ciliumproc.ClusterSpec{
		{Cluster: tokyo, Enable: etcdOnly},
		{Cluster: nara, ChartCerts: true}, // with kvstoremesh, so that the chart issues all four certificates
		{Cluster: osaka, Peers: []string{hk.Name, kyoto.Name}, Kube: f.kube.Config,
			Enable: &clustermesh.EnableOptions{DisableKVStoreMesh: true, AuthMode: clustermesh.AuthCluster}},
		{Cluster: hk, Peers: []string{tokyo.Name, nara.Name, osaka.Name}},
		{Cluster: kyoto, Peers: []string{osaka.Name}, Enable: &clustermesh.EnableOptions{AuthMode: clustermesh.AuthCluster}},
	}})

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, c := range []mesh.Cluster{tokyo, nara} {
		svcs := exportedServices(t, c)
		f.exported[c.Name] = svcs
		cli, err := f.pod(c).EtcdClient(ctx, clustermesh.SecretAdminCert)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close() })
		ex, err := kvstore.NewExporter(cli, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		if err := ex.PutClusterConfig(wctx, kvstore.Capabilities{SyncedCanaries: true, MaxConnectedClusters: mesh.MaxConnected255}); err != nil {
			t.Fatal(err)
		}
		if _, err := ex.Sync(wctx, svcs); err != nil {
			t.Fatalf("export %s: %v", c.Name, err)
		}
		if err := ex.MarkSynced(wctx); err != nil {
			t.Fatal(err)
		}
		wcancel()
		if c == nara {
			if err := ex.Heartbeat(ctx); err != nil {
				t.Fatal(err)
			}
			continue
		}
		wg.Go(func() {
			if err := ex.KeepAlive(ctx, 0); err != nil {
				t.Errorf("KeepAlive of %s: %v", c.Name, err)
			}
		})
	}
	f.started = time.Now()
	return f
}

// exportedServices are the services ciliumkit exports for cluster c: plain, dual-stack,
// multi-port, headless and zoned ones.
func exportedServices(t *testing.T, c mesh.Cluster) []*kvstore.ClusterService {
	t.Helper()
	ap := netip.MustParseAddrPort
	web := kvstore.NewClusterService(c, "shop", "web")
	web.Labels["app"] = "web"
	web.Selector["app"] = "web"
	web.AddFrontend(lb.Frontend{Addr: ap("10.96.10.1:80"), Protocol: lb.TCP}, "http")
	web.AddFrontend(lb.Frontend{Addr: ap("[fd00:96::10]:80"), Protocol: lb.TCP}, "http")
	web.AddBackend(lb.Backend{Addr: ap("10.244.1.10:8080"), Protocol: lb.TCP, Zone: "zone-a"}, "http")
	web.AddBackend(lb.Backend{Addr: ap("[fd00:244::10]:8080"), Protocol: lb.TCP}, "http")

	dns := kvstore.NewClusterService(c, "kube-system", "dns")
	dns.AddFrontend(lb.Frontend{Addr: ap("10.96.0.10:53"), Protocol: lb.UDP}, "dns")
	dns.AddFrontend(lb.Frontend{Addr: ap("10.96.0.10:53"), Protocol: lb.TCP}, "dns-tcp")
	dns.AddBackend(lb.Backend{Addr: ap("10.244.2.3:53"), Protocol: lb.UDP}, "dns")
	dns.AddBackend(lb.Backend{Addr: ap("10.244.2.3:53"), Protocol: lb.TCP}, "dns-tcp")

	db := kvstore.NewClusterService(c, "shop", "db")
	db.AddBackend(lb.Backend{Addr: ap("10.244.3.7:5432"), Protocol: lb.TCP}, "")
	db.Hostnames["10.244.3.7"] = "db-0"

	empty := kvstore.NewClusterService(c, "shop", "empty")
	empty.AddFrontend(lb.Frontend{Addr: ap("10.96.10.9:9000"), Protocol: lb.SCTP}, "")
	return []*kvstore.ClusterService{web, dns, db, empty}
}
