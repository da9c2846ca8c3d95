package lbipam_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/ipam/lbipam"
	"github.com/ciliumkit/ciliumkit/l2"
)

// rangePool creates a pool of first..last that selects only the Services of ns.
func rangePool(t *testing.T, e *testenv.Env, ns, first, last string) {
	t.Helper()
	pool, err := lbipam.NewPool("pool-"+ns, lbipam.BlockRange(netip.MustParseAddr(first), netip.MustParseAddr(last))).
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{l2.ServiceNamespaceLabel: ns}}).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cilium.CiliumV2().CiliumLoadBalancerIPPools().Create(context.Background(), pool, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pool: %v", err)
	}
}

func getService(t *testing.T, e *testenv.Env, ns, name string) *corev1.Service {
	t.Helper()
	svc, err := e.Kube.CoreV1().Services(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s/%s: %v", ns, name, err)
	}
	return svc
}

// writeIngress is another writer: it sets the Service's ingress to ip by a plain status
// update.
func writeIngress(t *testing.T, e *testenv.Env, ns, name, ip string) {
	t.Helper()
	svc := getService(t, e, ns, name)
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	if _, err := e.Kube.CoreV1().Services(ns).UpdateStatus(context.Background(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status of %s/%s: %v", ns, name, err)
	}
}

// testWriteConflict checks on the real API server that the controller's status write
// carries the resourceVersion it decided on: a write from a stale read fails with a
// Conflict and leaves the newer state alone, and the controller's reconcile then re-reads
// the Service and adopts what the other writer wrote rather than overwriting it.
func testWriteConflict(t *testing.T, e *testenv.Env) {
	ctx := context.Background()
	ns := e.Namespace(t)
	rangePool(t, e, ns, "10.77.7.1", "10.77.7.10")
	createService(t, e, ns, "d")
	c := lbipam.NewController(e.Kube, e.Cilium, &lbipam.ControllerOptions{DisableLeaderElection: true})
	if err := lbipam.RebuildForTest(ctx, c); err != nil {
		t.Fatal(err)
	}
	stale := getService(t, e, ns, "d")
	// Another writer changes the Service after the read: a label and an address.
	cur := stale.DeepCopy()
	cur.Labels = map[string]string{"edited": "yes"}
	if _, err := e.Kube.CoreV1().Services(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	writeIngress(t, e, ns, "d", "10.77.7.7")

	err := lbipam.ReconcileOnceForTest(ctx, c, stale)
	if !apierrors.IsConflict(err) {
		t.Fatalf("write from a stale read: got %v, want a Conflict", err)
	}
	if got := getService(t, e, ns, "d"); len(got.Status.LoadBalancer.Ingress) != 1 || got.Status.LoadBalancer.Ingress[0].IP != "10.77.7.7" {
		t.Fatalf("the stale write changed the newer status: %+v", got.Status.LoadBalancer)
	}
	if err := lbipam.SettleForTest(ctx, c, stale); err != nil {
		t.Fatalf("settle after conflict: %v", err)
	}
	got := getService(t, e, ns, "d")
	if len(got.Status.LoadBalancer.Ingress) != 1 || got.Status.LoadBalancer.Ingress[0].IP != "10.77.7.7" || got.Labels["edited"] != "yes" {
		t.Fatalf("after settling: ingress %+v labels %v, want the other writer's 10.77.7.7 and label kept", got.Status.LoadBalancer.Ingress, got.Labels)
	}
	if !hasCondition(got.Status.Conditions, lbipam.ConditionRequestSatisfied) {
		t.Errorf("no %s condition after settling: %+v", lbipam.ConditionRequestSatisfied, got.Status.Conditions)
	}
	if held := lbipam.HeldForTest(c, ns, "d"); len(held) != 1 || held[0] != "10.77.7.7" {
		t.Errorf("allocator holds %v for d, want [10.77.7.7]", held)
	}
}

// testExternalWriter checks the documented answer to an address another writer put into
// a Service's status, on a running controller: a valid, free address of the Service's
// pool is adopted (and the old one freed); an address another Service holds, or one in
// no pool, is refused, the Service's own address is written back and the refusal is
// recorded in ConditionIngressRestored.
func testExternalWriter(t *testing.T, e *testenv.Env) {
	ns := e.Namespace(t)
	rangePool(t, e, ns, "10.77.6.1", "10.77.6.10")
	log := watchIngress(t, e, ns)
	startController(t, e, ns)
	createService(t, e, ns, "a")
	waitService(t, e, ns, "a", "10.77.6.1", lbipam.ReasonSatisfied)
	createService(t, e, ns, "b")
	waitService(t, e, ns, "b", "10.77.6.2", lbipam.ReasonSatisfied)

	// A valid, free address: adopted; a's old .1 is free again and goes to the next one.
	writeIngress(t, e, ns, "a", "10.77.6.5")
	createService(t, e, ns, "c")
	waitService(t, e, ns, "c", "10.77.6.1", lbipam.ReasonSatisfied)
	waitService(t, e, ns, "a", "10.77.6.5", lbipam.ReasonSatisfied)

	// An address a holds: refused, b gets .2 back, and the condition says why.
	writeIngress(t, e, ns, "b", "10.77.6.5")
	waitService(t, e, ns, "b", "10.77.6.2", lbipam.ReasonSatisfied)
	cond := waitRestored(t, e, ns, "b", lbipam.ReasonAlreadyAllocated)
	if !strings.Contains(cond.Message, "10.77.6.5") {
		t.Errorf("restored condition does not name the refused address: %+v", cond)
	}
	// An address of no pool: refused too.
	writeIngress(t, e, ns, "b", "192.0.2.1")
	waitService(t, e, ns, "b", "10.77.6.2", lbipam.ReasonSatisfied)
	waitRestored(t, e, ns, "b", lbipam.ReasonNoPool)
	waitService(t, e, ns, "a", "10.77.6.5", lbipam.ReasonSatisfied)

	log.mu.Lock()
	defer log.mu.Unlock()
	if log.last["a"] != "10.77.6.5" || log.last["b"] != "10.77.6.2" || log.last["c"] != "10.77.6.1" {
		t.Errorf("final addresses a=%s b=%s c=%s", log.last["a"], log.last["b"], log.last["c"])
	}
}

func waitRestored(t *testing.T, e *testenv.Env, ns, name string, reason lbipam.Reason) metav1.Condition {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var conds []metav1.Condition
	for time.Now().Before(deadline) {
		conds = getService(t, e, ns, name).Status.Conditions
		for _, c := range conds {
			if c.Type == lbipam.ConditionIngressRestored && c.Reason == string(reason) && c.Status == metav1.ConditionTrue {
				return c
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/%s: conditions %+v, want %s reason %s", ns, name, conds, lbipam.ConditionIngressRestored, reason)
	return metav1.Condition{}
}
