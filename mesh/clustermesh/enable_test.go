package clustermesh_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// TestEnableThenOneWay turns on the clustermesh-apiserver of one cluster behind a
// LoadBalancer that has no address yet: certificates and release are in place, no peer
// is configured, and status says why the cluster cannot be reached yet. Then tokyo is
// connected one way to hk.
func TestEnableThenOneWay(t *testing.T) {
	t.Parallel()
	cs := startClusters(t, "tokyo", "hk")
	e := cs[0].env
	ts := targets(cs)[:1]
	ctx := context.Background()
	var logs bytes.Buffer
	opts := &clustermesh.ConnectOptions{Enable: clustermesh.EnableOptions{ServiceType: clustermesh.LoadBalancer},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	rep, err := clustermesh.Enable(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Clusters[0]; r.Enable != "install" || r.Connect != "" || r.Access != nil || r.ServiceType != clustermesh.LoadBalancer {
		t.Errorf("report %+v", r)
	}
	if !strings.Contains(logs.String(), "no ingress IP or hostname yet") {
		t.Errorf("no warning about the missing ingress in:\n%s", logs.String())
	}
	svc, err := e.Kube.CoreV1().Services("kube-system").Get(ctx, clustermesh.APIServerName, metav1.GetOptions{})
	if err != nil || svc.Spec.Type != "LoadBalancer" {
		t.Fatalf("Service: %v %v", svc.Spec.Type, err)
	}
	ca, err := clustermesh.LoadCA(secret(t, e, clustermesh.SecretCA).Data["ca.crt"], secret(t, e, clustermesh.SecretCA).Data["ca.key"])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{clustermesh.SecretServerCert, clustermesh.SecretAdminCert, clustermesh.SecretRemoteCert, clustermesh.SecretLocalCert} {
		if err := clustermesh.VerifyCertSecret(secret(t, e, n), "tokyo", ca, nil); err != nil {
			t.Error(err)
		}
	}
	if _, err := e.Kube.CoreV1().Secrets("kube-system").Get(ctx, clustermesh.SecretClusterMesh, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("enable alone configured peers: %v", err)
	}
	st, err := clustermesh.Status(ctx, ts[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.ServiceType != clustermesh.LoadBalancer || st.Access != nil || !strings.Contains(st.AccessError, "no ingress") || len(st.Peers) != 0 || !st.APIServer.Found {
		t.Errorf("status %+v", st)
	}
	rvs := resourceVersions(t, e)
	rep, err = clustermesh.Enable(ctx, ts, opts)
	if err != nil || rep.Clusters[0].Enable != "unchanged" {
		t.Fatalf("second Enable: %+v %v", rep, err)
	}
	for k, v := range resourceVersions(t, e) {
		if rvs[k] != v {
			t.Errorf("%s changed on the second Enable", k)
		}
	}

	// One way: tokyo's agents see hk; hk is not configured to see tokyo.
	if err := setLBIngress(ctx, e, corev1.LoadBalancerIngress{IP: "198.51.100.10"}); err != nil {
		t.Fatal(err)
	}
	hk := cs[1]
	hk.target.Values["clustermesh"] = map[string]any{"apiserver": map[string]any{"service": map[string]any{"type": "NodePort"}}}
	both := []clustermesh.Target{cs[0].target, hk.target}
	rep, err = clustermesh.Connect(ctx, both, &clustermesh.ConnectOptions{Topology: clustermesh.OneWay})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clusters[0].ServiceType != clustermesh.LoadBalancer || rep.Clusters[1].ServiceType != clustermesh.NodePort ||
		len(rep.Clusters[0].Peers) != 1 || len(rep.Clusters[1].Peers) != 0 {
		t.Errorf("one-way report %+v", rep.Clusters)
	}
	_, apiserver := podSpecs(t, e)
	verifyLink(t, e, apiserver, "kvstoremesh", peerEntry(t, e, clustermesh.SecretKVStoreMesh, "hk"), hk.env)
	if d := secret(t, hk.env, clustermesh.SecretClusterMesh).Data; len(d) != 0 {
		t.Errorf("hk has peers %v in a one-way mesh", d)
	}
	markReady(t, e)
	markReady(t, hk.env)
	oneWay, err := clustermesh.Check(ctx, both, clustermesh.OneWay)
	if err != nil {
		t.Fatal(err)
	}
	if !oneWay.Ready() {
		t.Errorf("one-way mesh: %q", oneWay.Problems)
	}
	if p := oneWay.Clusters[0].Peer("hk"); p == nil || p.Mutual == nil || *p.Mutual {
		t.Errorf("tokyo's peer hk: %+v", p)
	}
	full, err := clustermesh.Check(ctx, both, clustermesh.FullMesh)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(full, "hk: peer tokyo not configured") || !hasProblem(full, "tokyo: peer hk is configured on one side only") {
		t.Errorf("one-way mesh judged as full mesh: %q", full.Problems)
	}
}
