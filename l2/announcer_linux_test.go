package l2_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/datapath"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/l2"
)

var (
	lbIP     = netip.MustParseAddr("10.10.200.1")
	lbIP6    = netip.MustParseAddr("fd00:10:200::1")
	clientIP = netip.MustParseAddr("10.10.200.100")
)

// datapathResponder answers through the datapath's L2 responder map. The datapath
// answers ARP only, so IPv6 entries are left out (they still get unsolicited Neighbor
// Advertisements on takeover).
func datapathResponder(d *datapath.Datapath) l2.Responder {
	return l2.ResponderFunc(func(_ context.Context, es []l2.ResponderEntry) error {
		var rs []datapath.L2Responder
		for _, e := range es {
			if e.IP.Is4() {
				rs = append(rs, datapath.L2Responder{IP: e.IP, Ifindex: uint32(e.Ifindex), MAC: e.MAC})
			}
		}
		_, err := d.SyncL2Responders(rs)
		return err
	})
}

// node is a namespace on the segment with the datapath's XDP program on its eth0.
type node struct {
	name    string
	ns      *netns
	ifindex int
	mac     net.HardwareAddr
	dp      *datapath.Datapath
	log     testWriter
}

// agent is one run of an Announcer (and Watch) for a node.
type agent struct {
	node   *node
	a      *l2.Announcer
	cut    atomic.Bool // fail every API request, as if the node had vanished
	cancel context.CancelFunc
	ran    chan error
	gained chan time.Time
}

func newNode(t *testing.T, seg *segment, e *testenv.Env, name string) *node {
	ns, ifindex, mac := seg.host(name)
	n := &node{name: name, ns: ns, ifindex: ifindex, mac: mac, log: newTestWriter(t)}
	createNode(t, e.Kube, name, map[string]string{"l2": "on"})
	d, err := datapath.Load(&datapath.Options{MaglevTableSize: 251, MaxServices: 16, MaxBackends: 16,
		MaxEgress: 16, MaxL2Responders: 16, MaxEgressConnections: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	n.dp = d
	err = ns.do(func() error {
		l, err := d.Attach(datapath.HookXDP, ifindex)
		if err == nil {
			t.Cleanup(func() { l.Close() })
		}
		return err
	})
	if err != nil {
		t.Fatalf("attach XDP in %s: %v", name, err)
	}
	return n
}

// start runs an Announcer for n, created inside n's namespace, with its own API client.
func (n *node) start(t *testing.T, e *testenv.Env, timing l2.Timing) *agent {
	ag := &agent{node: n, ran: make(chan error, 1), gained: make(chan time.Time, 10)}
	cfg := rest.CopyConfig(e.Config)
	cfg.QPS, cfg.Burst = 200, 400
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if ag.cut.Load() {
				return nil, errors.New("node is gone")
			}
			return rt.RoundTrip(r)
		})
	})
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cilium, err := ciliumclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(n.log, &slog.HandlerOptions{Level: slog.LevelInfo})).With("test-node", n.name)
	err = n.ns.do(func() (err error) {
		ag.a, err = l2.NewAnnouncer(kube, n.name, datapathResponder(n.dp), &l2.AnnouncerOptions{
			Timing: timing,
			OnTransition: func(tr l2.Transition) {
				if tr.Leading {
					ag.gained <- tr.Time
				}
			},
			Logger: log,
		})
		return err
	})
	if err != nil {
		t.Fatalf("NewAnnouncer in %s: %v", n.name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ag.cancel = cancel
	watched := make(chan struct{})
	go func() { ag.ran <- ag.a.Run(ctx) }()
	go l2.Watch(ctx, kube, cilium, n.name, []string{"eth0"}, func(s []l2.Announcement) error {
		err := ag.a.Update(s)
		if err == nil && len(s) > 0 {
			select {
			case <-watched:
			default:
				close(watched)
			}
		}
		return err
	}, &l2.WatchOptions{Logger: log})
	select {
	case <-watched:
	case <-time.After(time.Minute):
		t.Fatalf("%s: no desired set from Watch", n.name)
	}
	t.Cleanup(func() { ag.stop(t) })
	return ag
}

// stop cancels the agent's run and waits for Run to return.
func (ag *agent) stop(t *testing.T) error {
	ag.cancel()
	select {
	case err, ok := <-ag.ran:
		if ok {
			close(ag.ran)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Errorf("%s: Run did not return", ag.node.name)
		return nil
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// testWriter sends log lines to t.Log until the test's cleanups ran; client-go's
// goroutines may log while they wind down.
type testWriter struct {
	t    *testing.T
	done *atomic.Bool
}

func newTestWriter(t *testing.T) testWriter {
	w := testWriter{t: t, done: new(atomic.Bool)}
	t.Cleanup(func() { w.done.Store(true) })
	return w
}

func (w testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// holder returns the lease's holder identity.
func holder(t *testing.T, kube kubernetes.Interface, lease string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := kube.CoordinationV1().Leases(l2.DefaultLeaseNamespace).Get(ctx, lease, metav1.GetOptions{})
	if err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// TestFailover: two nodes on one segment announce one LoadBalancer Service selected by
// a CiliumL2AnnouncementPolicy; a client on the segment sees only the lease holder
// answer ARP, a gratuitous ARP from each new holder, and the address move within the
// window Calculate predicts when the holder vanishes, and faster when it shuts down
// cleanly.
func TestFailover(t *testing.T) {
	testenv.RequirePrivileged(t)
	e := testenv.Start(t, &testenv.Options{Name: "l2-failover"})
	ns := e.Namespace(t)
	ctx := context.Background()
	// Short enough for a quick test, long enough that renewals survive a loaded machine.
	timing := l2.Timing{LeaseDuration: 4 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 500 * time.Millisecond}
	est, err := l2.Calculate(timing, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Slack for a loaded machine: the API server and both agents share two cores with
	// other test runs.
	const slack = 20 * time.Second

	seg := newSegment(t)
	clientNS, cIdx, cMAC := seg.host("client")
	clientNS.ip(t, "addr", "add", clientIP.String()+"/24", "dev", "eth0")
	// A stale neighbour entry that the unsolicited Neighbor Advertisement must repoint.
	clientNS.ip(t, "-6", "neigh", "add", lbIP6.String(), "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale")
	p := newProber(t, clientNS, cIdx, cMAC, clientIP)
	nodes := map[string]*node{}
	for _, name := range []string{"node-a", "node-b"} {
		nodes[name] = newNode(t, seg, e, name)
	}

	policy, err := l2.NewPolicy("web").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}).
		NodeSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"l2": "on"}}).
		Interfaces("^eth0$").LoadBalancerIPs(true).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cilium.CiliumV2alpha1().CiliumL2AnnouncementPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createLBService(t, e.Kube, ns, "web", map[string]string{"app": "web"}, lbIP.String(), lbIP6.String())
	lease := l2.LeaseName(ns, "web")

	begin := time.Now()
	agents := map[string]*agent{}
	for name, n := range nodes {
		agents[name] = n.start(t, e, timing)
	}
	other := map[string]string{"node-a": "node-b", "node-b": "node-a"}

	// onlyHolder asserts that the lease holder, and only it, answers ARP for the LB IP.
	// Under heavy load a renewal can miss its deadline and the lease change hands while
	// the replies are counted; such a count is retried.
	onlyHolder := func(phase string) string {
		t.Helper()
		var h string
		var counts map[string]int
		for try := 0; ; try++ {
			h = holder(t, e.Kube, lease)
			if nodes[h] == nil {
				t.Fatalf("%s: lease %s held by %q", phase, lease, h)
			}
			counts = countReplies(t, p, lbIP, 10)
			if after := holder(t, e.Kube, lease); after == h {
				break
			} else if try == 3 {
				t.Fatalf("%s: lease %s keeps changing hands (%s, then %s)", phase, lease, h, after)
			}
			t.Logf("%s: lease moved from %s while counting; counting again", phase, h)
		}
		if counts[nodes[h].mac.String()] < 8 || counts[nodes[other[h]].mac.String()] != 0 || len(counts) != 1 {
			t.Fatalf("%s: replies per MAC %v; holder %s is %s, %s is %s", phase, counts, h, nodes[h].mac, other[h], nodes[other[h]].mac)
		}
		if held := agents[h].a.Held(); len(held) != 2 || held[0].IP != lbIP || held[1].IP != lbIP6 || held[0].Service != (types.NamespacedName{Namespace: ns, Name: "web"}) {
			t.Errorf("%s: %s holds %v", phase, h, held)
		}
		if held := agents[other[h]].a.Held(); len(held) != 0 {
			t.Errorf("%s: %s, not holding the lease, holds %v", phase, other[h], held)
		}
		rs, err := nodes[other[h]].dp.L2Responders()
		if err != nil || len(rs) != 0 {
			t.Errorf("%s: responder map of %s: %v, %v", phase, other[h], rs, err)
		}
		t.Logf("%s: %s (%s) holds %s and answered %v", phase, h, nodes[h].mac, lease, counts)
		return h
	}

	// The first holder: some node answers, and announced itself.
	deadline := time.Now().Add(time.Minute)
	for nodes[holder(t, e.Kube, lease)] == nil {
		if time.Now().After(deadline) {
			t.Fatalf("nobody took lease %s", lease)
		}
		time.Sleep(100 * time.Millisecond)
	}
	first := holder(t, e.Kube, lease)
	if _, err := p.FirstReplyFrom(lbIP, nodes[first].mac, begin, time.Minute); err != nil {
		t.Fatalf("%s holds %s but does not answer ARP for %s: %v", first, lease, lbIP, err)
	}
	first = onlyHolder("start")
	if g := p.Gratuitous(begin, lbIP, nodes[first].mac); len(g) == 0 {
		t.Errorf("no gratuitous ARP from %s", first)
	}
	// The client's IPv6 neighbour entry follows the unsolicited Neighbor Advertisement.
	deadline = time.Now().Add(30 * time.Second)
	for {
		out := clientNS.ip(t, "-6", "neigh", "show", lbIP6.String(), "dev", "eth0")
		if strings.Contains(out, nodes[first].mac.String()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("client's neighbour entry for %s: %q, want %s's MAC %s", lbIP6, out, first, nodes[first].mac)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The holder vanishes: its API access fails, so its lease is neither renewed nor
	// released, and it stops answering.
	crashed := first
	agents[crashed].cut.Store(true)
	stopped := time.Now()
	agents[crashed].stop(t)
	next := other[crashed]
	took, err := p.FirstReplyFrom(lbIP, nodes[next].mac, stopped, est.FailoverMax+slack)
	if err != nil {
		t.Fatalf("after %s vanished, %s did not answer within %s: %v", crashed, next, est.FailoverMax+slack, err)
	}
	crashTakeover := took.Sub(stopped)
	t.Logf("crash: %s answers %s after %s (Calculate window %s..%s)", next, lbIP, crashTakeover, est.FailoverMin, est.FailoverMax)
	if got := onlyHolder("after crash"); got != next {
		t.Fatalf("after crash: holder %s, want %s", got, next)
	}
	if g := p.Gratuitous(stopped, lbIP, nodes[next].mac); len(g) == 0 {
		t.Errorf("after crash: no gratuitous ARP from %s", next)
	} else {
		t.Logf("after crash: %d gratuitous ARP from %s, first %s after the crash", len(g), next, g[0].At.Sub(stopped))
	}

	// The vanished node comes back and competes; the holder then shuts down cleanly,
	// releasing its lease.
	agents[crashed] = nodes[crashed].start(t, e, timing)
	time.Sleep(2 * timing.RetryPeriod) // let it try once and find the lease held
	leaving := holder(t, e.Kube, lease)
	if leaving != next {
		// Only under heavy load: the holder missed its renew deadline.
		t.Logf("the returning %s took the lease from %s", crashed, next)
	}
	if nodes[leaving] == nil {
		t.Fatalf("lease %s held by %q", lease, leaving)
	}
	stays := other[leaving]
	stopped = time.Now()
	if err := agents[leaving].stop(t); err != nil {
		t.Errorf("clean stop of %s: %v", leaving, err)
	}
	took, err = p.FirstReplyFrom(lbIP, nodes[stays].mac, stopped, est.FailoverMax+slack)
	if err != nil {
		t.Fatalf("after %s shut down, %s did not answer within %s: %v", leaving, stays, est.FailoverMax+slack, err)
	}
	cleanTakeover := took.Sub(stopped)
	t.Logf("clean shutdown: %s answers %s after %s (crash took %s; RetryPeriod %s)", stays, lbIP, cleanTakeover, crashTakeover, timing.RetryPeriod)
	if g := p.Gratuitous(stopped, lbIP, nodes[stays].mac); len(g) == 0 {
		t.Errorf("after clean shutdown: no gratuitous ARP from %s", stays)
	}
	if got := onlyHolder("after clean shutdown"); got != stays {
		t.Fatalf("after clean shutdown: holder %s, want %s", got, stays)
	}
}
