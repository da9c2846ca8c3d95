package main

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/l2"
)

// The L2 test's LB IPs, both on the client's subnets: the client's kernel asks ARP for the
// IPv4 one and sends neighbour solicitations for the IPv6 one.
var (
	l2LBIP  = netip.MustParseAddr("10.50.0.100")
	l2LBIP6 = netip.MustParseAddr("fd00:50::100")
)

// writeKubeconfig writes a kubeconfig that reaches env's API server through a forwarder
// in namespace n, and returns its path.
func writeKubeconfig(t *testing.T, env *testenv.Env, n *netns, dir string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["tokyo"] = &clientcmdapi.Cluster{Server: "https://" + n.forward(t, strings.TrimPrefix(env.Config.Host, "https://")),
		CertificateAuthorityData: env.Config.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: env.Config.CertData, ClientKeyData: env.Config.KeyData}
	kc.Contexts["tokyo"] = &clientcmdapi.Context{Cluster: "tokyo", AuthInfo: "admin"}
	kc.CurrentContext = "tokyo"
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// leaseHolder returns the holder identity of lease (empty when released or absent) and
// whether the lease exists.
func leaseHolder(t *testing.T, kube kubernetes.Interface, lease string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := kube.CoordinationV1().Leases(l2.DefaultLeaseNamespace).Get(ctx, lease, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", false
	}
	if err != nil {
		t.Fatalf("get lease %s: %v", lease, err)
	}
	if l.Spec.HolderIdentity == nil {
		return "", true
	}
	return *l.Spec.HolderIdentity, true
}

// TestL2Announcement runs the agent binary with L2 announcements in the lab's node
// namespace against a real kube-apiserver: a CiliumL2AnnouncementPolicy selects a
// LoadBalancer Service with an IPv4 and an IPv6 LB IP on the node's client-facing veth.
// The agent takes the Service's lease, announces the IPv4 address with gratuitous ARP,
// answers the client's ARP requests and neighbour solicitations with the veth's MAC from
// its XDP program, and programs both LB IPs as the Service's frontends, so the client's
// TCP connections to either reach the backend of its family; on SIGTERM it stops
// answering and releases the lease.
func TestL2Announcement(t *testing.T) {
	testenv.RequirePrivileged(t)
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Unavailable(t, "iproute2 (ip) not installed")
	}
	bin := agentBinary(t)
	ctx := context.Background()
	env := testenv.Start(t, &testenv.Options{Name: "thin-agent-l2"})
	l := newLab(t)
	l.client.passXDP(t, "eth0")
	_, nodeMAC := l.node.iface(t, l.clientIface)
	p := newProber(t, l.client, "eth0", clientIP)

	ns := env.Namespace(t)
	policy, err := l2.NewPolicy("web-" + ns).
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"app": "web", l2.ServiceNamespaceLabel: ns}}).
		Interfaces("^" + l.clientIface + "$").LoadBalancerIPs(true).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cilium.CiliumV2alpha1().CiliumL2AnnouncementPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: new(false),
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}}}
	svc, err = env.Kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// LB IPAM's part: the ingress addresses.
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: l2LBIP.String()}, {IP: l2LBIP6.String()}}
	if _, err := env.Kube.CoreV1().Services(ns).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready, port, proto, portName := true, int32(8080), corev1.ProtocolTCP, "http"
	eps := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{backendIPs["tokyo"].Addr().String()},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
		Ports: []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
	eps6 := eps.DeepCopy()
	eps6.Name, eps6.AddressType = "web-2", discoveryv1.AddressTypeIPv6
	eps6.Endpoints[0].Addresses = []string{backendIPs6["tokyo"].Addr().String()}
	for _, e := range []*discoveryv1.EndpointSlice{eps, eps6} {
		if _, err := env.Kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	const nodeName = "thin-node-1"
	cfg := fmt.Sprintf(`cluster: {name: tokyo, id: 1}
kubernetes: {kubeconfig: %s}
datapath:
  maglevTableSize: %d
  maxServices: %d
  maxBackends: %d
  interfaces: [{name: %s, mode: xdp}]
l2:
  enabled: true
  nodeName: %s
  leaseDuration: 4s
  renewDeadline: 2s
  retryPeriod: 500ms
sync: {debounce: 20ms, timeout: 60s}
log: {format: json, level: info}
`, writeKubeconfig(t, env, l.node, dir), labM, maxServices, maxBackends, l.clientIface, nodeName)
	cfgFile := writeFile(t, dir, "config.yaml", []byte(cfg))
	lease := l2.LeaseName(ns, "web")
	lbAddr := netip.AddrPortFrom(l2LBIP, 80)
	lbAddr6 := netip.AddrPortFrom(l2LBIP6, 80)
	// neighbour6 returns the client's neighbour entry for the IPv6 LB IP.
	neighbour6 := func() string {
		out, _ := exec.Command("ip", "-n", l.client.name, "-6", "neigh", "show", l2LBIP6.String(), "dev", "eth0").CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	// flush6 forgets it, so that the next connection solicits again.
	flush6 := func() {
		exec.Command("ip", "-n", l.client.name, "-6", "neigh", "flush", l2LBIP6.String(), "dev", "eth0").Run()
	}

	// Before the agent runs, nobody answers for the LB IP.
	if c := countReplies(t, p, l2LBIP, 3); len(c) != 0 {
		t.Fatalf("ARP replies for %s before the agent ran: %v", l2LBIP, c)
	}
	if f, err := l.client.connect(lbAddr6, time.Second); err == nil {
		f.conn.Close()
		t.Fatalf("connected to %v before the agent ran", lbAddr6)
	}
	flush6()

	begin := time.Now()
	agent := startAgentProc(t, bin, l.node, "-config", cfgFile)
	t.Logf("agent ready after %v", agent.waitReady(t))
	waitFor(t, "the agent to hold lease "+lease, func() bool { h, _ := leaseHolder(t, env.Kube, lease); return h == nodeName })
	t.Logf("lease %s held by %s %v after the start", lease, nodeName, time.Since(begin).Round(time.Millisecond))
	first, err := p.FirstReplyFrom(l2LBIP, nodeMAC, begin, time.Minute)
	if err != nil {
		t.Fatalf("no ARP reply for %s from the node's %s (%s): %v\n%s", l2LBIP, l.clientIface, nodeMAC, err, agent.logs)
	}
	t.Logf("first ARP reply for %s %v after the start", l2LBIP, first.Sub(begin).Round(time.Millisecond))
	if g := p.Gratuitous(begin, l2LBIP, nodeMAC); len(g) == 0 {
		t.Errorf("no gratuitous ARP for %s from %s", l2LBIP, nodeMAC)
	} else {
		t.Logf("%d gratuitous ARP for %s, the first %v after the start", len(g), l2LBIP, g[0].At.Sub(begin).Round(time.Millisecond))
	}
	if c := countReplies(t, p, l2LBIP, 10); c[nodeMAC.String()] < 8 || len(c) != 1 {
		t.Errorf("replies per MAC for 10 requests: %v, want >= 8 from %s only", c, nodeMAC)
	}
	var rtts []time.Duration
	for range 20 {
		if d, err := p.RTT(l2LBIP); err == nil {
			rtts = append(rtts, d)
		}
	}
	if len(rtts) < 15 {
		t.Errorf("%d of 20 ARP requests answered within 1s", len(rtts))
	} else {
		slices.Sort(rtts)
		t.Logf("ARP reply latency over %d requests: median %v, max %v", len(rtts), rtts[len(rtts)/2], rtts[len(rtts)-1])
	}
	for series, want := range map[string]float64{
		`ciliumkit_thin_agent_lease_transitions_total{direction="acquired"}`: 1,
		`ciliumkit_thin_agent_lease_transitions_total{direction="lost"}`:     0,
		"ciliumkit_thin_agent_l2_responders":                                 2,
	} {
		if got := agent.metric(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}

	// The LB IP is the Service's frontend: the client's connections (its kernel resolves
	// the address through the same ARP responder) reach the backend and get replies.
	waitFor(t, "a connection to "+lbAddr.String(), func() bool {
		f, err := l.client.connect(lbAddr, 2*time.Second)
		if err != nil {
			return false
		}
		f.conn.Close()
		return true
	})
	for i := range 5 {
		f, err := l.client.connect(lbAddr, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d to %v: %v", i, lbAddr, err)
		}
		if f.backend != "tokyo" {
			t.Errorf("connection %d to %v reached %s, want tokyo", i, lbAddr, f.backend)
		}
		if err := f.echo("hello", 5*time.Second); err != nil {
			t.Errorf("echo on connection %d: %v", i, err)
		}
		f.conn.Close()
	}
	out, _ := exec.Command("ip", "-n", l.client.name, "neigh", "show", l2LBIP.String(), "dev", "eth0").CombinedOutput()
	if !strings.Contains(string(out), nodeMAC.String()) {
		t.Errorf("client's neighbour entry for %s: %q, want the node's %s", l2LBIP, out, nodeMAC)
	}
	// The same over IPv6: the client's kernel solicits the LB IP, the XDP program
	// advertises the node's MAC, and the connections reach the IPv6 backend.
	for i := range 5 {
		f, err := l.client.connect(lbAddr6, 5*time.Second)
		if err != nil {
			t.Fatalf("connection %d to %v: %v (neighbour %q)\n%s", i, lbAddr6, err, neighbour6(), agent.logs)
		}
		if f.backend != "tokyo" || !f.local.Addr().Is6() {
			t.Errorf("connection %d to %v from %v reached %s, want tokyo", i, lbAddr6, f.local, f.backend)
		}
		if err := f.echo("hello", 5*time.Second); err != nil {
			t.Errorf("IPv6 echo on connection %d: %v", i, err)
		}
		f.conn.Close()
	}
	if n := neighbour6(); !strings.Contains(n, nodeMAC.String()) {
		t.Errorf("client's neighbour entry for %s: %q, want the node's %s", l2LBIP6, n, nodeMAC)
	}
	rs := agent.metric(t, "ciliumkit_thin_agent_l2_responders")
	t.Logf("IPv6: %d connections through the advertised address; responders %v", 5, rs)

	// A clean stop releases the lease and stops the answers.
	stopped := time.Now()
	if code := agent.stop(t); code != 0 {
		t.Fatalf("agent exit code %d after SIGTERM, want 0\n%s", code, agent.logs)
	}
	t.Logf("agent stopped after SIGTERM in %v", time.Since(stopped).Round(time.Millisecond))
	if h, ok := leaseHolder(t, env.Kube, lease); h != "" {
		t.Errorf("lease %s after the clean stop: holder %q (exists %v), want released", lease, h, ok)
	}
	if c := countReplies(t, p, l2LBIP, 5); len(c) != 0 {
		t.Errorf("ARP replies for %s after the agent stopped: %v", l2LBIP, c)
	}
	flush6()
	if f, err := l.client.connect(lbAddr6, time.Second); err == nil {
		f.conn.Close()
		t.Errorf("connected to %v after the agent stopped (neighbour %q)", lbAddr6, neighbour6())
	}
	if n := neighbour6(); strings.Contains(n, nodeMAC.String()) {
		t.Errorf("neighbour solicitation for %s answered after the agent stopped: %q", l2LBIP6, n)
	}

	// Another node's agent (here on the same veth) takes the released lease over at once,
	// well before it would have expired.
	const next = "thin-node-2"
	restarted := time.Now()
	agent = startAgentProc(t, bin, l.node, "-config", cfgFile, "-node-name", next)
	took, err := p.FirstReplyFrom(l2LBIP, nodeMAC, restarted, time.Minute)
	if err != nil {
		t.Fatalf("%s: no ARP reply for %s after taking over: %v\n%s", next, l2LBIP, err, agent.logs)
	}
	if h, _ := leaseHolder(t, env.Kube, lease); h != next {
		t.Errorf("lease %s held by %q after the takeover, want %s", lease, h, next)
	}
	if g := p.Gratuitous(restarted, l2LBIP, nodeMAC); len(g) == 0 {
		t.Errorf("no gratuitous ARP after the takeover by %s", next)
	}
	t.Logf("takeover of the released lease: %s answers ARP %v after its process started", next, took.Sub(restarted).Round(time.Millisecond))
	if got := agent.metric(t, `ciliumkit_thin_agent_lease_transitions_total{direction="acquired"}`); got != 1 {
		t.Errorf("%s: acquired = %v, want 1", next, got)
	}
	if code := agent.stop(t); code != 0 {
		t.Fatalf("agent exit code %d after SIGTERM, want 0\n%s", code, agent.logs)
	}
	if h, _ := leaseHolder(t, env.Kube, lease); h != "" {
		t.Errorf("lease %s after the second stop: holder %q, want released", lease, h)
	}
}
