package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// The lab's addresses, all inside namespaces the test creates: every namespace has an
// IPv4 and an IPv6 address.
var (
	vip       = netip.MustParseAddrPort("10.96.0.10:80")    // the Service's IPv4 ClusterIP in tokyo
	vip6      = netip.MustParseAddrPort("[fd00:96::10]:80") // and its IPv6 one
	clientIP  = netip.MustParseAddr("10.50.0.2")
	clientIP6 = netip.MustParseAddr("fd00:50::2")
	// One backend per cluster: tokyo (local, from the API server), hk and osaka (remote,
	// from their kvstores).
	backendIPs = map[string]netip.AddrPort{
		"tokyo": netip.MustParseAddrPort("10.51.1.2:8080"),
		"hk":    netip.MustParseAddrPort("10.51.2.2:8080"),
		"osaka": netip.MustParseAddrPort("10.51.3.2:8080"),
	}
	backendIPs6 = map[string]netip.AddrPort{
		"tokyo": netip.MustParseAddrPort("[fd00:51:1::2]:8080"),
		"hk":    netip.MustParseAddrPort("[fd00:51:2::2]:8080"),
		"osaka": netip.MustParseAddrPort("[fd00:51:3::2]:8080"),
	}
	tokyo = mesh.Cluster{Name: "tokyo", ID: 1}
	hk    = mesh.Cluster{Name: "hk", ID: 2}
	osaka = mesh.Cluster{Name: "osaka", ID: 3}
)

const (
	labM        = 251 // Maglev table size of the lab's agent
	maxServices = 64
	maxBackends = 256
)

// lab is the end-to-end network: a client, the agent's node, and one backend namespace
// per cluster, each joined to the node by a veth pair, dual-stack (IPv6 addresses without
// duplicate address detection, so they are usable at once). The client routes
// everything to the node; the node forwards between its veths.
type lab struct {
	client, node *netns
	backends     map[string]*netns
	clientIface  string // the node's veth facing the client, where the agent attaches
}

func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{client: newNetns(t, "client"), node: newNetns(t, "node"), backends: map[string]*netns{}, clientIface: "n-client"}
	l.node.sysctl(t, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
		"net.ipv6.conf.all.forwarding=1")
	run(t, "ip", "link", "add", "eth0", "netns", l.client.name, "type", "veth", "peer", "name", l.clientIface, "netns", l.node.name)
	l.client.ip(t, "addr", "add", clientIP.String()+"/24", "dev", "eth0")
	l.client.ip(t, "link", "set", "eth0", "up")
	l.client.ip(t, "route", "add", "default", "via", "10.50.0.1")
	l.client.ip(t, "addr", "add", clientIP6.String()+"/64", "dev", "eth0", "nodad")
	l.client.ip(t, "-6", "route", "add", "default", "via", "fd00:50::1")
	l.node.ip(t, "addr", "add", "10.50.0.1/24", "dev", l.clientIface)
	l.node.ip(t, "addr", "add", "fd00:50::1/64", "dev", l.clientIface, "nodad")
	l.node.ip(t, "link", "set", l.clientIface, "up")
	for i, c := range []string{"tokyo", "hk", "osaka"} {
		ns := newNetns(t, "be-"+c)
		l.backends[c] = ns
		peer := "n-" + c
		run(t, "ip", "link", "add", "eth0", "netns", ns.name, "type", "veth", "peer", "name", peer, "netns", l.node.name)
		ns.ip(t, "addr", "add", backendIPs[c].Addr().String()+"/24", "dev", "eth0")
		ns.ip(t, "link", "set", "eth0", "up")
		ns.ip(t, "route", "add", "default", "via", fmt.Sprintf("10.51.%d.1", i+1))
		ns.ip(t, "addr", "add", backendIPs6[c].Addr().String()+"/64", "dev", "eth0", "nodad")
		ns.ip(t, "-6", "route", "add", "default", "via", fmt.Sprintf("fd00:51:%d::1", i+1))
		l.node.ip(t, "addr", "add", fmt.Sprintf("10.51.%d.1/24", i+1), "dev", peer)
		l.node.ip(t, "addr", "add", fmt.Sprintf("fd00:51:%d::1/64", i+1), "dev", peer, "nodad")
		l.node.ip(t, "link", "set", peer, "up")
		ns.backendServer(t, c, backendIPs[c])
		ns.backendServer(t, c, backendIPs6[c])
	}
	return l
}

// kvCluster is one remote cluster's real etcd, with an exporter writing into it.
type kvCluster struct {
	etcd *testenv.Etcd
	cli  *clientv3.Client
	ex   *kvstore.Exporter
}

func startKVCluster(t *testing.T, c mesh.Cluster, ca *pki.CA) *kvCluster {
	t.Helper()
	ctx := context.Background()
	et := testenv.StartEtcd(t, &testenv.EtcdOptions{TLS: true, CA: ca})
	tc, err := et.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: []string{et.Endpoint}, TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ex, err := kvstore.NewExporter(cli, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.PutClusterConfig(ctx, kvstore.Capabilities{SyncedCanaries: true, MaxConnectedClusters: 255}); err != nil {
		t.Fatal(err)
	}
	return &kvCluster{etcd: et, cli: cli, ex: ex}
}

// export writes cluster c's echo service, dual-stack (frontends 10.<96+ID>.0.10 and
// fd00:<96+ID>::10), with the given backends (none: no backend).
func (k *kvCluster) export(t *testing.T, c mesh.Cluster, ns string, backends ...netip.AddrPort) {
	t.Helper()
	s := kvstore.NewClusterService(c, ns, "echo")
	s.AddFrontend(lb.Frontend{Addr: netip.MustParseAddrPort(fmt.Sprintf("10.%d.0.10:80", 96+c.ID)), Protocol: lb.TCP}, "http")
	s.AddFrontend(lb.Frontend{Addr: netip.MustParseAddrPort(fmt.Sprintf("[fd00:%d::10]:80", 96+c.ID)), Protocol: lb.TCP}, "http")
	for _, b := range backends {
		s.AddBackend(lb.Backend{Addr: b, Protocol: lb.TCP, ClusterID: c.ID}, "http")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.ex.Upsert(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := k.ex.MarkSynced(ctx); err != nil {
		t.Fatal(err)
	}
}

// agentProc is the thin-agent binary running in the node namespace.
type agentProc struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	// exited is closed when the process has exited; err is then Wait's result.
	exited chan struct{}
	err    error
	http   *http.Client
}

// startAgentProc execs the agent binary in namespace ns (ip netns exec execs it in
// place: the child's PID is the agent's).
func startAgentProc(t testing.TB, bin string, ns *netns, args ...string) *agentProc {
	t.Helper()
	p := &agentProc{logs: &syncBuffer{t: t, tag: "agent"}, exited: make(chan struct{}), http: ns.httpClient()}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns.name, bin}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// exitCode waits up to 30 s for the process to exit and returns its exit code.
func (p *agentProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("agent did not exit within 30 s\n%s", p.logs)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// get fetches path from the agent's HTTP server.
func (p *agentProc) get(path string) (int, string, error) {
	resp, err := p.http.Get("http://" + defaultListen + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitReady waits for /readyz to answer 200 and returns how long that took.
func (p *agentProc) waitReady(t testing.TB) time.Duration { return readyAfter(t, p, time.Now()) }

// stop sends SIGTERM and returns the exit code.
func (p *agentProc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.exitCode(t)
}

// metric scrapes /metrics and returns one series' value (-1 when absent).
func (p *agentProc) metric(t *testing.T, series string) float64 {
	t.Helper()
	code, body, err := p.get("/metrics")
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", code, err)
	}
	v, ok := metricValue(body, series)
	if !ok {
		return -1
	}
	return v
}

// mountBPFFS mounts a fresh bpffs for the agent's pins.
func mountBPFFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		testenv.Unavailable(t, "mount bpffs: "+err.Error())
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tableOf reads fe's Maglev table from the pinned maps: for each slot the name of the
// backend in backends it holds ("" for another address).
func tableOf(t *testing.T, pin string, fe netip.AddrPort, backends map[string]netip.AddrPort) []string {
	t.Helper()
	d, err := datapath.Load(&datapath.Options{PinDir: pin, MaglevTableSize: labM, MaxServices: maxServices, MaxBackends: maxBackends})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	e, err := d.Service(lb.Frontend{Addr: fe, Protocol: lb.TCP})
	if errors.Is(err, datapath.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(e.Table))
	for i, a := range e.Table {
		for c, b := range backends {
			if a == b {
				names[i] = c
			}
		}
	}
	return names
}

// family is one address family of the lab's global service: its VIP and backends.
type family struct {
	name     string
	vip      netip.AddrPort
	backends map[string]netip.AddrPort
}

var families = []family{{"IPv4", vip, backendIPs}, {"IPv6", vip6, backendIPs6}}

func onlyOf(names []string, allowed ...string) bool {
	if len(names) == 0 {
		return false
	}
	for _, n := range names {
		if !strings.Contains(" "+strings.Join(allowed, " ")+" ", " "+n+" ") {
			return false
		}
	}
	return true
}

// TestMeshEndToEnd runs the agent binary in a node namespace against a real
// kube-apiserver (its cluster tokyo, the local one) and the real etcd kvstores of two
// remote clusters, hk and osaka, reached over mutual TLS with the certificates
// clustermesh issues. A dual-stack global service with one backend per address family in
// each cluster gets real TCP connections over IPv4 and over IPv6 from a client namespace
// through the agent's XDP program; replies come back through the reverse NAT. Every
// check below runs for both families.
func TestMeshEndToEnd(t *testing.T) {
	testenv.RequirePrivileged(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "iproute2 (ip) not installed")
	}
	bin := agentBinary(t)
	ctx := context.Background()

	// The mesh CA signs the kvstores' serving certificates and the client certificate
	// tokyo's agents present to remote clusters.
	meshCA, err := clustermesh.NewCA(nil)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(meshCA.CertPEM(), meshCA.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := clustermesh.CertSecrets(tokyo.Name, meshCA, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var remoteCert map[string][]byte
	for _, s := range secrets {
		if *s.Name == clustermesh.SecretRemoteCert {
			remoteCert = s.Data
		}
	}
	dir := t.TempDir()
	caFile := writeFile(t, dir, "ca.crt", remoteCert["ca.crt"])
	certFile := writeFile(t, dir, "tls.crt", remoteCert["tls.crt"])
	keyFile := writeFile(t, dir, "tls.key", remoteCert["tls.key"])

	env := testenv.Start(t, &testenv.Options{Name: tokyo.Name, SkipCRDs: true, ServiceCIDR: "10.96.0.0/16,fd00:96::/112"})
	kv := map[string]*kvCluster{"hk": startKVCluster(t, hk, ca), "osaka": startKVCluster(t, osaka, ca)}
	l := newLab(t)

	// tokyo's Service, global and dual-stack, and its EndpointSlices; hk and osaka export
	// theirs.
	ns := env.Namespace(t)
	dual := corev1.IPFamilyPolicyRequireDualStack
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: ns, Annotations: map[string]string{"service.cilium.io/global": "true"}},
		Spec: corev1.ServiceSpec{ClusterIP: vip.Addr().String(), ClusterIPs: []string{vip.Addr().String(), vip6.Addr().String()},
			IPFamilyPolicy: &dual, IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
			Ports: []corev1.ServicePort{{Name: "http", Port: int32(vip.Port()), Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err = env.Kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready, port, proto := true, int32(8080), corev1.ProtocolTCP
	portName := "http"
	eps := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "echo-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{backendIPs["tokyo"].Addr().String()},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports: []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
	eps6 := eps.DeepCopy()
	eps6.Name, eps6.AddressType = "echo-2", discoveryv1.AddressTypeIPv6
	eps6.Endpoints[0].Addresses = []string{backendIPs6["tokyo"].Addr().String()}
	for _, e := range []*discoveryv1.EndpointSlice{eps, eps6} {
		if _, err := env.Kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kv["hk"].export(t, hk, ns, backendIPs["hk"], backendIPs6["hk"])
	kv["osaka"].export(t, osaka, ns, backendIPs["osaka"], backendIPs6["osaka"])

	// The agent reaches the API server and the kvstores through forwarders in its
	// namespace.
	kubeconfig := writeKubeconfig(t, env, l.node, dir)
	pin := mountBPFFS(t)
	cfg := fmt.Sprintf(`cluster: {name: tokyo, id: 1}
kubernetes: {kubeconfig: %s}
clusters:
- name: hk
  endpoints: [https://%s]
  tls: {ca: %s, cert: %s, key: %s}
- name: osaka
  id: 3
  endpoints: [https://%s]
  tls: {ca: %s, cert: %s, key: %s}
datapath:
  pinDir: %s
  maglevTableSize: %d
  maxServices: %d
  maxBackends: %d
  interfaces: [{name: %s, mode: xdp}]
sync: {debounce: 50ms, timeout: 60s}
log: {format: json, level: debug}
`, kubeconfig,
		l.node.forward(t, strings.TrimPrefix(kv["hk"].etcd.Endpoint, "https://")), caFile, certFile, keyFile,
		l.node.forward(t, strings.TrimPrefix(kv["osaka"].etcd.Endpoint, "https://")), caFile, certFile, keyFile,
		pin, labM, maxServices, maxBackends, l.clientIface)
	cfgFile := writeFile(t, dir, "config.yaml", []byte(cfg))

	// Before the agent runs, the VIPs lead nowhere.
	for _, fam := range families {
		if f, err := l.client.connect(fam.vip, time.Second); err == nil {
			f.conn.Close()
			t.Fatalf("connected to %v before the agent ran (backend %s)", fam.vip, f.backend)
		}
	}

	agent := startAgentProc(t, bin, l.node, "-config", cfgFile)
	t.Logf("agent ready after %v", agent.waitReady(t))
	if code, body, err := agent.get("/healthz"); err != nil || code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q %v", code, body, err)
	}
	for series, want := range map[string]float64{
		// echo's two frontends, and the API server's own default/kubernetes Service (which
		// has no endpoint here).
		"ciliumkit_thin_agent_services":                                3,
		`ciliumkit_thin_agent_backends{side="local"}`:                  2,
		`ciliumkit_thin_agent_backends{side="remote"}`:                 4,
		`ciliumkit_thin_agent_source_synced{source="kubernetes"}`:      1,
		`ciliumkit_thin_agent_source_synced{source="kvstore/hk"}`:      1,
		`ciliumkit_thin_agent_kvstore_accepted_total{cluster="osaka"}`: 1,
	} {
		if got := agent.metric(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}

	// Maglev spreads new connections over the three clusters, each to the backend the
	// programmed table names for its 5-tuple.
	spread := func(fam family, n int) map[string]int {
		t.Helper()
		tab := tableOf(t, pin, fam.vip, fam.backends)
		counts := map[string]int{}
		for i := range n {
			f, err := l.client.connect(fam.vip, 5*time.Second)
			if err != nil {
				t.Fatalf("%s connection %d to %v: %v", fam.name, i, fam.vip, err)
			}
			f.conn.Close()
			counts[f.backend]++
			if want := tab[maglev.FlowSlot(f.local, fam.vip, uint8(lb.TCP), labM)]; f.backend != want {
				t.Errorf("flow from %v reached %s, the Maglev table says %s", f.local, f.backend, want)
			}
		}
		return counts
	}
	for _, fam := range families {
		counts := spread(fam, 60)
		t.Logf("60 %s connections: %v", fam.name, counts)
		for c := range fam.backends {
			if counts[c] == 0 {
				t.Errorf("no %s connection reached cluster %s's backend: %v", fam.name, c, counts)
			}
		}
	}

	// A value hk's kvstore holds that Cilium's readers refuse is counted and ignored.
	if _, err := kv["hk"].cli.Put(ctx, kvstore.ServiceKey("hk", ns, "broken"), "{not json"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused value in the metrics", func() bool {
		return agent.metric(t, `ciliumkit_thin_agent_kvstore_rejected_total{cluster="hk",reason="malformed"}`) == 1
	})
	if got := agent.metric(t, "ciliumkit_thin_agent_services"); got != 3 {
		t.Errorf("services after a refused value = %v, want 3", got)
	}
	for _, fam := range families {
		if f, err := l.client.connect(fam.vip, 5*time.Second); err != nil {
			t.Errorf("%s connection after a refused value: %v", fam.name, err)
		} else {
			f.conn.Close()
		}
	}

	// Affinity local: new connections go to tokyo's backend only.
	setAffinity := func(a string) {
		t.Helper()
		s, err := env.Kube.CoreV1().Services(ns).Get(ctx, "echo", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a == "" {
			delete(s.Annotations, "service.cilium.io/affinity")
		} else {
			s.Annotations["service.cilium.io/affinity"] = a
		}
		if _, err := env.Kube.CoreV1().Services(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// measure changes something and waits until both families' tables settle.
	measure := func(what string, change func(), settled func([]string) bool) {
		t.Helper()
		t0 := time.Now()
		change()
		waitFor(t, what, func() bool {
			return settled(tableOf(t, pin, vip, backendIPs)) && settled(tableOf(t, pin, vip6, backendIPs6))
		})
		t.Logf("%s: new connections follow after %v", what, time.Since(t0).Round(time.Millisecond))
	}
	measure("affinity local", func() { setAffinity("local") }, func(tab []string) bool { return onlyOf(tab, "tokyo") })
	for _, fam := range families {
		if counts := spread(fam, 30); counts["tokyo"] != 30 {
			t.Errorf("with affinity local, %s connections went to %v, want tokyo only", fam.name, counts)
		}
	}
	measure("affinity none again", func() { setAffinity("") }, func(tab []string) bool {
		return !onlyOf(tab, "tokyo") && onlyOf(tab, "tokyo", "hk", "osaka")
	})

	// hk's backends leave its kvstore: new connections stop reaching them.
	measure("hk backend removed", func() { kv["hk"].export(t, hk, ns) }, func(tab []string) bool {
		return onlyOf(tab, "tokyo", "osaka")
	})
	for _, fam := range families {
		if counts := spread(fam, 30); counts["hk"] != 0 || counts["tokyo"] == 0 || counts["osaka"] == 0 {
			t.Errorf("after removing hk's backends, %s connections went to %v, want tokyo and osaka", fam.name, counts)
		}
	}
	if got := agent.metric(t, `ciliumkit_thin_agent_backends{side="remote"}`); got != 2 {
		t.Errorf("remote backends = %v, want 2", got)
	}

	// Restart with pinned maps: established flows keep working while no agent runs and
	// after the next one started; the new agent rewrites nothing.
	f, err := l.client.connect(vip, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer f.conn.Close()
	f6, err := l.client.connect(vip6, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer f6.conn.Close()
	echoBoth := func(msg string) {
		t.Helper()
		for _, fl := range []*flow{f, f6} {
			if err := fl.echo(msg, 5*time.Second); err != nil {
				t.Fatalf("established flow from %v to %s, %s: %v", fl.local, fl.backend, msg, err)
			}
		}
	}
	echoBoth("before")
	if code := agent.stop(t); code != 0 {
		t.Fatalf("agent exit code %d after SIGTERM, want 0\n%s", code, agent.logs)
	}
	if _, _, err := agent.get("/healthz"); err == nil {
		t.Error("/healthz still answers after the agent stopped")
	}
	echoBoth("while no agent runs")
	for _, fam := range families {
		if g, err := l.client.connect(fam.vip, 5*time.Second); err != nil {
			t.Errorf("new %s connection while no agent runs: %v", fam.name, err)
		} else {
			g.conn.Close()
		}
	}
	agent = startAgentProc(t, bin, l.node, "-config", cfgFile)
	t.Logf("restarted agent ready after %v", agent.waitReady(t))
	echoBoth("after the restart")
	if got := agent.metric(t, `ciliumkit_thin_agent_map_entries_total{op="written"}`); got != 0 {
		t.Errorf("the restarted agent wrote %v map entries, want 0 (nothing changed)", got)
	}
	if code := agent.stop(t); code != 0 {
		t.Fatalf("agent exit code %d after SIGTERM, want 0\n%s", code, agent.logs)
	}
	echoBoth("after the second stop")
}

// waitFor polls cond every 20 ms for up to 60 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
