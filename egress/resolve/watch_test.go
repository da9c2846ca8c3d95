package resolve

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestOptionsValidation(t *testing.T) {
	for _, o := range []*HeartbeatOptions{{Duration: 1500 * time.Millisecond}, {Duration: 500 * time.Millisecond},
		{Duration: time.Second, Interval: time.Second}, {Interval: -time.Second}} {
		if _, err := o.withDefaults(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: err = %v, want ErrInvalidOptions", o, err)
		}
	}
	o, err := (*HeartbeatOptions)(nil).withDefaults()
	if err != nil || o.Duration != DefaultLeaseDuration || o.Interval != DefaultLeaseDuration/3 {
		t.Errorf("defaults %+v, %v", o, err)
	}
	if err := Heartbeat(context.Background(), nil, "", "n", nil); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("no namespace: %v", err)
	}
	if err := Watch(context.Background(), nil, nil, &WatchOptions{Retry: -1}, nil); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("negative retry: %v", err)
	}
}

// TestWatchHeartbeat runs Watch against a real API server: the seed policy resolves
// through k8s-w2 while its agent's Heartbeat runs, and to a dropping entry once the
// heartbeat stops and its Lease expires.
func TestWatchHeartbeat(t *testing.T) {
	env := testenv.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const ns = "cik-egress"
	if _, err := env.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, n := range baseState().Nodes {
		st := n.Status
		created, err := env.Kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		created.Status = st
		if _, err := env.Kube.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ep := baseState().Endpoints[0]
	ep.UID = ""
	if _, err := env.Cilium.CiliumV2().CiliumEndpoints("default").Create(ctx, ep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Cilium.CiliumV2().CiliumEgressGatewayPolicies().Create(ctx, seedPolicy(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	hbDone := make(chan error, 1)
	go func() {
		hbDone <- Heartbeat(hbCtx, env.Kube, ns, "k8s-w2", &HeartbeatOptions{Duration: time.Second, Interval: 200 * time.Millisecond})
	}()

	results := make(chan Result, 16)
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- Watch(ctx, env.Kube, env.Cilium, &WatchOptions{Options: Options{LeaseNamespace: ns}},
			func(_ context.Context, r Result) error { results <- r; return nil })
	}()
	next := func(what string, ok func(Result) bool) Result {
		t.Helper()
		for {
			select {
			case r := <-results:
				if ok(r) {
					return r
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("no result %s within 15s", what)
			}
		}
	}
	up := func(r Result) bool {
		return len(r.Entries) == 2 && r.Entries[0].GatewayIP.String() == w2 && len(r.Policies) == 1 && !r.Policies[0].Gateways[0].Down
	}
	next("through k8s-w2", up)

	t0 := time.Now()
	stopHeartbeat()
	if err := <-hbDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("heartbeat returned %v", err)
	}
	r := next("with k8s-w2 down", func(r Result) bool { return len(r.Entries) == 2 && r.Entries[0].Drops() })
	d := time.Since(t0)
	t.Logf("k8s-w2 down %v after its heartbeat stopped (lease 1s): %s", d, r.Policies[0].Gateways[0].Reason)
	if d > 5*time.Second {
		t.Errorf("lease expiry noticed after %v", d)
	}

	// The endpoint's policy is deleted: no entries.
	if err := env.Cilium.CiliumV2().CiliumEgressGatewayPolicies().Delete(ctx, "egress-sample", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	next("without the policy", func(r Result) bool { return len(r.Entries) == 0 && len(r.Policies) == 0 })
	cancel()
	if err := <-watchDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("watch returned %v", err)
	}
}
