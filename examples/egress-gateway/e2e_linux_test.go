package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/egress"
	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
	"github.com/ciliumkit/ciliumkit/egress/plancheck"
	"github.com/ciliumkit/ciliumkit/egress/resolve"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

const leaseNS = "cik-egress"

var nodeIPs = map[string]netip.Addr{"k8s-w1": w1IP, "k8s-w2": w2IP, "k8s-w3": w3IP}

func hostname(n string) *slimv1.LabelSelector {
	return &slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": n}}
}

// seedPolicy is the seed's egress-sample built with gatewaypolicy: pods
// org=empire,class=mediabot of namespace default to 192.168.20.100/32, then 0.0.0.0/0,
// through k8s-w2 as 192.168.10.240, plus gateways; it excludes 192.168.30.0/24 and the
// mesh's pod pool (so that plancheck passes it).
func seedPolicy(t testing.TB, gateways ...gatewaypolicy.GatewaySpec) *ciliumv2.CiliumEgressGatewayPolicy {
	t.Helper()
	b := gatewaypolicy.New("egress-sample").
		SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{
			"org": "empire", "class": "mediabot", "io.kubernetes.pod.namespace": "default"}}, nil).
		Destinations(netip.MustParsePrefix("192.168.20.100/32"), netip.MustParsePrefix("0.0.0.0/0")).
		Exclude(netip.MustParsePrefix("192.168.30.0/24"), netip.MustParsePrefix("10.240.0.0/12")).
		Gateway(gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w2"), EgressIP: egressW2})
	for _, g := range gateways {
		b.Gateway(g)
	}
	p, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// seedPlan is the design's seed mesh; hk's pods are 10.245.0.0/16, the lab pod's range.
func seedPlan(t testing.TB) *mesh.Plan {
	t.Helper()
	p, err := mesh.NewPlan(mesh.Spec{
		Pools: ipam.Pools{Pods: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")}},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.13.0.0/16")}},
			{Name: "hk", ID: 2, NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("192.168.10.0/24")},
				PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.245.0.0/16")}},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// setReady writes node's Ready condition and InternalIP.
func setReady(t testing.TB, env *testenv.Env, name string, ready bool) {
	t.Helper()
	ctx := context.Background()
	n, err := env.Kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: nodeIPs[name].String()}}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st, Reason: "CiliumkitTest",
		LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
	if _, err := env.Kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// logWriter sends an agent's log lines to the test log.
type logWriter struct {
	t    testing.TB
	node string
}

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s: %s", w.node, b)
	return len(b), nil
}

// startAgent starts node's agent in ns; it is closed when the test ends.
func startAgent(t *testing.T, env *testenv.Env, ns *netns, cfg config) *agent {
	t.Helper()
	var a *agent
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(logWriter{t, cfg.Node}, nil))
	}
	if err := ns.do(func() (err error) { a, err = newAgent(cfg, log); return err }); err != nil {
		t.Fatal(err)
	}
	a.run(context.Background(), env.Kube, env.Cilium)
	t.Cleanup(a.close)
	return a
}

// bpffs mounts a bpffs for pinning on a temporary directory.
func bpffs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, "mode=0700"); err != nil {
		t.Fatalf("mount bpffs on %s: %v", dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// eventually calls f every 10ms until it returns nil, failing t after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lookup returns the entry a's egress map gives the pod's traffic to dst.
func lookup(a *agent, dst netip.Addr) (e egress.Entry, err error) {
	err = a.withDatapath(func(d *datapath.Datapath) error {
		var ok bool
		e, ok, err = d.LookupEgress(podIP, dst)
		if err == nil && !ok {
			err = fmt.Errorf("no entry for %v -> %v", podIP, dst)
		}
		return err
	})
	return e, err
}

// gatewayOf returns the gateway IP a's egress map gives the pod's traffic to dst.
func gatewayOf(a *agent, dst netip.Addr) (netip.Addr, error) {
	e, err := lookup(a, dst)
	return e.GatewayIP, err
}

// counters returns a's egress counters.
func counters(t testing.TB, a *agent) (c datapath.EgressCounters) {
	t.Helper()
	if err := a.withDatapath(func(d *datapath.Datapath) (err error) { c, err = d.EgressCounters(); return err }); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEgressGateway drives the datapath with the seed's policy on a real API server: a
// pod on k8s-w1 reaches 192.168.20.100 through k8s-w2 as 192.168.10.240; an excluded
// destination is reached directly; a policy without a gateway node drops; then, with a
// second gateway, the pod's gateway fails over when its node turns unready and when its
// agent stops.
func TestEgressGateway(t *testing.T) {
	testenv.RequirePrivileged(t)
	env := testenv.Start(t, nil)
	l := newLab(t)
	ctx := context.Background()

	// The cluster: three nodes, the pod's CiliumEndpoint as Cilium's agent writes it, the
	// heartbeat namespace.
	for name := range nodeIPs {
		labels := map[string]string{"kubernetes.io/hostname": name}
		if _, err := env.Kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		setReady(t, env, name, true)
	}
	if _, err := env.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaseNS}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cep, err := env.Cilium.CiliumV2().CiliumEndpoints("default").Create(ctx, &ciliumv2.CiliumEndpoint{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "net-pod"},
		Status: ciliumv2.EndpointStatus{
			ID: 1001,
			Identity: &ciliumv2.EndpointIdentity{ID: 53004, Labels: []string{
				"k8s:class=mediabot", "k8s:org=empire", "k8s:io.kubernetes.pod.namespace=default",
				"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default"}},
			Networking: &ciliumv2.EndpointNetworking{NodeIP: w1IP.String(), Addressing: ciliumv2.AddressPairList{{IPV4: podIP.String()}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The policies, checked against the plan and the nodes before they are applied.
	seed := seedPolicy(t)
	black, err := gatewaypolicy.New("egress-blackhole").
		SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"class": "mediabot"}}, nil).
		Destinations(netip.MustParsePrefix("192.168.40.0/24")).
		Gateway(gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w9"), EgressIP: egressW2}).Build()
	if err != nil {
		t.Fatal(err)
	}
	nodeLabels := map[string]map[string]string{}
	for name := range nodeIPs {
		nodeLabels[name] = map[string]string{"kubernetes.io/hostname": name}
	}
	plan := seedPlan(t)
	if err := plancheck.Check(seed, plan, "hk", nodeLabels); err != nil {
		t.Fatalf("seed policy: %v", err)
	}
	if err := plancheck.Check(black, plan, "hk", nodeLabels); !errors.Is(err, plancheck.ErrGatewayMatchesNoNode) {
		t.Fatalf("blackhole policy: plancheck = %v, want ErrGatewayMatchesNoNode", err)
	} else {
		t.Logf("applied anyway, to show the drop: %v", err)
	}
	for _, p := range []*ciliumv2.CiliumEgressGatewayPolicy{seed, black} {
		if _, err := env.Cilium.CiliumV2().CiliumEgressGatewayPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("apply %s: %v", p.Name, err)
		}
	}
	st, err := resolve.Read(ctx, env.Kube, env.Cilium, &resolve.Options{LeaseNamespace: leaseNS})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Policies) != 2 || len(st.Endpoints) != 1 || len(st.Nodes) != 3 {
		t.Fatalf("read back %d policies, %d endpoints, %d nodes", len(st.Policies), len(st.Endpoints), len(st.Nodes))
	}
	for _, p := range st.Policies {
		want := seed
		if p.Name == black.Name {
			want = black
		}
		if !apiequality.Semantic.DeepEqual(p.Spec, want.Spec) {
			t.Fatalf("policy %s read back as %+v, applied %+v", p.Name, p.Spec, want.Spec)
		}
	}

	// The agents: the worker steers, the gateways SNAT; all heartbeat.
	lease := time.Second
	w1 := startAgent(t, env, l.w1, config{Node: "k8s-w1", NodeIP: w1IP, PodInterfaces: []string{"pod0"}, LeaseNamespace: leaseNS, LeaseDuration: lease})
	gws := map[netip.Addr]*agent{}
	gwNS := map[netip.Addr]*netns{w2IP: l.w2, w3IP: l.w3}
	for _, g := range []struct {
		name string
		ip   netip.Addr
	}{{"k8s-w2", w2IP}, {"k8s-w3", w3IP}} {
		gws[g.ip] = startAgent(t, env, gwNS[g.ip], config{Node: g.name, NodeIP: g.ip, Uplink: "eth0",
			LeaseNamespace: leaseNS, LeaseDuration: lease, PinDir: bpffs(t), MaxEgressConnections: 4096})
	}
	for _, a := range []*agent{w1, gws[w2IP], gws[w3IP]} {
		eventually(t, 10*time.Second, a.cfg.Node+" programs the seed policy", func() error {
			gw, err := gatewayOf(a, extHost)
			if err == nil && gw != w2IP {
				err = fmt.Errorf("gateway %v", gw)
			}
			return err
		})
	}
	e, _ := lookup(w1, extHost)
	t.Logf("pod -> %v matches %v (UID %s)", extHost, e, cep.UID)

	t.Run("through the gateway", func(t *testing.T) {
		src, err := l.whoami(extHost, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if src.Addr() != egressW2 {
			t.Fatalf("%v saw source %v, want the egress IP %v", extHost, src, egressW2)
		}
		var conns []datapath.EgressConnection
		err = gws[w2IP].withDatapath(func(d *datapath.Datapath) (err error) { conns, err = d.EgressConnections(); return err })
		if err != nil || len(conns) == 0 {
			t.Fatalf("k8s-w2 connection table: %v, %v", conns, err)
		}
		t.Logf("k8s-w2 connection table: %v", conns)
	})
	t.Run("excluded CIDR leaves directly", func(t *testing.T) {
		src, err := l.whoami(exclHost, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if src.Addr() != podIP {
			t.Fatalf("%v saw source %v, want the pod's %v", exclHost, src, podIP)
		}
	})
	t.Run("policy without a gateway node drops", func(t *testing.T) {
		before := counters(t, w1)
		if src, err := l.whoami(blackHost, 500*time.Millisecond); err == nil {
			t.Fatalf("%v reached, as %v", blackHost, src)
		}
		after := counters(t, w1)
		if after.DroppedPolicy <= before.DroppedPolicy {
			t.Fatalf("drop counter %d -> %d", before.DroppedPolicy, after.DroppedPolicy)
		}
		if seen := l.seenFrom(blackHost); len(seen) != 0 {
			t.Fatalf("%v saw %v", blackHost, seen)
		}
	})
	t.Run("latency", func(t *testing.T) {
		const n = 2000
		direct, via := statsOf(l.echoRTT(t, exclHost, n)), statsOf(l.echoRTT(t, extHost, n))
		cd, cv := statsOf(l.connectTimes(t, exclHost, 200)), statsOf(l.connectTimes(t, extHost, 200))
		t.Logf("nproc=%d; 1-byte TCP echo round trip: direct %v; through the gateway %v; extra p50 %v",
			runtime.NumCPU(), direct, via, via.p50-direct.p50)
		t.Logf("connect+exchange+close: direct %v; through the gateway %v; extra p50 %v", cd, cv, cv.p50-cd.p50)
	})

	// Two gateways: the seed policy gets k8s-w3 as a second one.
	cur, err := env.Cilium.CiliumV2().CiliumEgressGatewayPolicies().Get(ctx, seed.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec = seedPolicy(t, gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w3"), EgressIP: egressW3}).Spec
	if _, err := env.Cilium.CiliumV2().CiliumEgressGatewayPolicies().Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	gwIPs := []egress.Gateway{{IP: w2IP, EgressIP: egressW2}, {IP: w3IP, EgressIP: egressW3}}
	home, err := egress.SelectGateway(string(cep.UID), gwIPs)
	if err != nil {
		t.Fatal(err)
	}
	other := gwIPs[0]
	if other == home {
		other = gwIPs[1]
	}
	t.Logf("the pod's gateway (FNV-32a of %s mod 2) is %v as %v; the other is %v", cep.UID, home.IP, home.EgressIP, other.IP)
	waitGateway := func(t *testing.T, want netip.Addr, agents ...*agent) {
		t.Helper()
		for _, a := range agents {
			eventually(t, 10*time.Second, a.cfg.Node+" programs gateway "+want.String(), func() error {
				gw, err := gatewayOf(a, extHost)
				if err == nil && gw != want {
					err = fmt.Errorf("gateway %v", gw)
				}
				return err
			})
		}
	}
	waitGateway(t, home.IP, w1, gws[w2IP], gws[w3IP])
	if src, err := l.whoami(extHost, 2*time.Second); err != nil || src.Addr() != home.EgressIP {
		t.Fatalf("with two gateways: source %v, %v; want %v", src, err, home.EgressIP)
	}

	// failover stops the pod's gateway with stop at t0 and returns the time until a new
	// connection of the pod leaves through the other gateway; none may leave with the
	// pod's own address meanwhile. It also logs when the worker's egress map switched.
	failover := func(t *testing.T, stop func()) time.Duration {
		t.Helper()
		seen := len(l.seenFrom(extHost))
		switched := make(chan time.Duration, 1)
		t0 := time.Now()
		go func() {
			for time.Since(t0) < 30*time.Second {
				if gw, err := gatewayOf(w1, extHost); err == nil && gw == other.IP {
					switched <- time.Since(t0)
					return
				}
				time.Sleep(time.Millisecond)
			}
			switched <- -1
		}()
		stop()
		attempts, failed := 0, 0
		for {
			attempts++
			src, err := l.whoami(extHost, 100*time.Millisecond)
			if err == nil && src.Addr() == other.EgressIP {
				break
			}
			if err != nil {
				failed++
			}
			if time.Since(t0) > 30*time.Second {
				t.Fatalf("no connection through %v within 30s (last %v, %v)", other.IP, src, err)
			}
			time.Sleep(2 * time.Millisecond)
		}
		d := time.Since(t0)
		for _, s := range l.seenFrom(extHost)[seen:] {
			if s.Addr() != home.EgressIP && s.Addr() != other.EgressIP {
				t.Errorf("a connection arrived from %v during failover", s)
			}
		}
		t.Logf("failover: k8s-w1's egress map switched to %v after %v; the first new connection through it completed after %v (%d attempts of 100ms at most, %d failed)",
			other.IP, <-switched, d, attempts, failed)
		return d
	}

	t.Run("failover when the gateway node turns unready", func(t *testing.T) {
		home := home
		name := map[netip.Addr]string{w2IP: "k8s-w2", w3IP: "k8s-w3"}[home.IP]
		failover(t, func() { setReady(t, env, name, false) })
		waitGateway(t, other.IP, w1, gws[w2IP], gws[w3IP])
		// Back: the endpoint returns to its gateway.
		setReady(t, env, name, true)
		waitGateway(t, home.IP, w1, gws[w2IP], gws[w3IP])
		if src, err := l.whoami(extHost, 2*time.Second); err != nil || src.Addr() != home.EgressIP {
			t.Fatalf("after recovery: source %v, %v; want %v", src, err, home.EgressIP)
		}
	})
	t.Run("failover when the gateway agent stops", func(t *testing.T) {
		// The stopped agent's programs stay attached (pinned) with their last entries,
		// as after a crash; its heartbeat Lease expires after the lease duration.
		failover(t, gws[home.IP].close)
		waitGateway(t, other.IP, w1, gws[other.IP])
		t.Logf("lease duration %v, renewed every %v", lease, lease/3)
	})
}
