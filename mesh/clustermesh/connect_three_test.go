package clustermesh_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// TestConnectThreeClusters builds a full mesh of three clusters exposed three ways:
// tokyo by a LoadBalancer IP, hk by a LoadBalancer hostname, osaka by NodePort. The
// first run fails on discovery (no load balancer has answered yet) before connecting
// anything; once the Services have ingress, the run completes.
func TestConnectThreeClusters(t *testing.T) {
	t.Parallel()
	cs := startClusters(t, "tokyo", "hk", "osaka")
	types := []clustermesh.ServiceType{clustermesh.LoadBalancer, clustermesh.LoadBalancer, clustermesh.NodePort}
	for i, c := range cs {
		c.target.Values["clustermesh"] = map[string]any{"apiserver": map[string]any{"service": map[string]any{"type": string(types[i])}}}
	}
	ts := targets(cs)
	ctx := context.Background()

	start := time.Now()
	_, err := clustermesh.Connect(ctx, ts, nil)
	t.Logf("first run (3 installs, then discovery fails): %s", time.Since(start).Round(time.Millisecond))
	if !errors.Is(err, clustermesh.ErrNoAccess) {
		t.Fatalf("Connect without LoadBalancer ingress: err = %v, want ErrNoAccess", err)
	}
	if !containsAll(err.Error(), `cluster "tokyo"`, "Service kube-system/clustermesh-apiserver", "LoadBalancer has no ingress") {
		t.Errorf("error %q does not name the cluster, the Service and the cause", err)
	}
	for _, c := range cs {
		_, err := c.env.Kube.CoreV1().Secrets("kube-system").Get(ctx, clustermesh.SecretClusterMesh, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("%s has a %s Secret after a run that failed before connecting: %v", c.env.Name, clustermesh.SecretClusterMesh, err)
		}
	}

	// The load balancers answer.
	if err := setLBIngress(ctx, cs[0].env, corev1.LoadBalancerIngress{IP: "198.51.100.10"}); err != nil {
		t.Fatal(err)
	}
	if err := setLBIngress(ctx, cs[1].env, corev1.LoadBalancerIngress{Hostname: "hk-lb.example.net"}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	rep, err := clustermesh.Connect(ctx, ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("connect of 3 clusters (releases already installed by the failed run): %s", time.Since(start).Round(time.Millisecond))
	for i, r := range rep.Clusters {
		if r.ServiceType != types[i] || len(r.Peers) != 2 {
			t.Errorf("report %+v", r)
		}
	}

	endpoint := map[string]string{
		"tokyo": "https://tokyo.mesh.cilium.io:2379",
		"hk":    "https://hk-lb.example.net:2379",
		"osaka": "https://osaka.mesh.cilium.io:32379",
	}
	for _, from := range cs {
		_, apiserver := podSpecs(t, from.env)
		for _, to := range cs {
			if from == to {
				continue
			}
			name := to.target.Cluster.Name
			ke := peerEntry(t, from.env, clustermesh.SecretKVStoreMesh, name)
			if len(ke.Endpoints) != 1 || ke.Endpoints[0] != endpoint[name] {
				t.Errorf("%s -> %s: endpoints %v, want [%s]", from.env.Name, name, ke.Endpoints, endpoint[name])
			}
			verifyLink(t, from.env, apiserver, "kvstoremesh", ke, to.env)
		}
		if !hostAlias(apiserver, "198.51.100.10", "tokyo.mesh.cilium.io") && from != cs[0] {
			t.Errorf("%s: no host alias for tokyo's load balancer: %v", from.env.Name, apiserver.HostAliases)
		}
		if !hostAlias(apiserver, "10.15.0.10", "osaka.mesh.cilium.io") && from != cs[2] {
			t.Errorf("%s: no host alias for osaka's node: %v", from.env.Name, apiserver.HostAliases)
		}
	}
	for _, c := range cs {
		markReady(t, c.env)
	}
	st, err := clustermesh.Check(ctx, ts, clustermesh.FullMesh)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Ready() {
		t.Errorf("three-cluster mesh not ready: %q", st.Problems)
	}
	for _, c := range st.Clusters {
		for _, p := range c.Peers {
			if p.Mutual == nil || !*p.Mutual {
				t.Errorf("%s -> %s not mutual", c.Cluster, p.Name)
			}
		}
		if len(c.Peers) != 2 {
			t.Errorf("%s has %d peers", c.Cluster, len(c.Peers))
		}
	}
	if st.Clusters[1].Access == nil || st.Clusters[1].Access.Hostname != "hk-lb.example.net" {
		t.Errorf("hk access %+v", st.Clusters[1].Access)
	}
	start = time.Now()
	rep, err = clustermesh.Connect(ctx, ts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("idempotent re-run of 3 clusters: %s", time.Since(start).Round(time.Millisecond))
	for _, r := range rep.Clusters {
		if r.Enable != "unchanged" || r.Connect != "unchanged" {
			t.Errorf("re-run %+v", r)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
