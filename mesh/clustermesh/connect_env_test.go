package clustermesh_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// ciliumChart loads the chart from the Cilium module once per test binary.
var ciliumChart = sync.OnceValues(func() (*chart.Chart, error) {
	p, err := testenv.CiliumChartPath()
	if err != nil {
		return nil, err
	}
	return helmsdk.Load(p)
})

type cluster struct {
	env    *testenv.Env
	target clustermesh.Target
}

// startClusters starts one API server per name, with cluster IDs 1, 2, ... and one
// Node each whose InternalIP is 10.<12+id>.0.10.
func startClusters(t testing.TB, names ...string) []*cluster {
	t.Helper()
	c, err := ciliumChart()
	if err != nil {
		t.Fatal(err)
	}
	var out []*cluster
	for i, n := range names {
		e := testenv.Start(t, &testenv.Options{Name: n})
		id := uint32(i + 1)
		addNode(t, e, fmt.Sprintf("%s-node-1", n), fmt.Sprintf("10.%d.0.10", 12+id))
		out = append(out, &cluster{env: e, target: clustermesh.Target{
			Cluster: mesh.Cluster{Name: n, ID: id},
			Config:  e.Config,
			Chart:   c,
			// A platform's own value, which must survive the mesh values.
			Values: map[string]any{"operator": map[string]any{"replicas": 1}},
		}})
	}
	return out
}

func targets(cs []*cluster) []clustermesh.Target {
	out := make([]clustermesh.Target, len(cs))
	for i, c := range cs {
		out[i] = c.target
	}
	return out
}

// addNode creates a Node with an InternalIP, as a kubelet would register it.
func addNode(t testing.TB, e *testenv.Env, name, ip string) {
	t.Helper()
	ctx := context.Background()
	n, err := e.Kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.NodeSpec{ProviderID: "kind://docker/" + name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}}
	if _, err := e.Kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// markReady writes the clustermesh-apiserver Deployment status as a controller would
// once its pod is ready.
func markReady(t *testing.T, e *testenv.Env) {
	t.Helper()
	ctx := context.Background()
	d, err := e.Kube.AppsV1().Deployments("kube-system").Get(ctx, clustermesh.APIServerName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Status.ObservedGeneration = d.Generation
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 1, 1, 1, 1
	if _, err := e.Kube.AppsV1().Deployments("kube-system").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setLBIngress writes the clustermesh-apiserver Service's LoadBalancer status, as a
// load-balancer controller would.
func setLBIngress(ctx context.Context, e *testenv.Env, ing corev1.LoadBalancerIngress) error {
	s, err := e.Kube.CoreV1().Services("kube-system").Get(ctx, clustermesh.APIServerName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{ing}
	_, err = e.Kube.CoreV1().Services("kube-system").UpdateStatus(ctx, s, metav1.UpdateOptions{})
	return err
}

// resourceVersions maps "Kind/name" to the resourceVersion of every object in
// kube-system that the chart or Connect writes.
func resourceVersions(t *testing.T, e *testenv.Env) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	ns := "kube-system"
	secrets, err := e.Kube.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range secrets.Items {
		out["Secret/"+o.Name] = o.ResourceVersion
	}
	cms, err := e.Kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range cms.Items {
		out["ConfigMap/"+o.Name] = o.ResourceVersion
	}
	svcs, err := e.Kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range svcs.Items {
		out["Service/"+o.Name] = o.ResourceVersion
	}
	ds, err := e.Kube.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ds.Items {
		out["DaemonSet/"+o.Name] = o.ResourceVersion
	}
	deps, err := e.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range deps.Items {
		out["Deployment/"+o.Name] = o.ResourceVersion
	}
	return out
}

func secret(t *testing.T, e *testenv.Env, name string) *corev1.Secret {
	t.Helper()
	s, err := e.Kube.CoreV1().Secrets("kube-system").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	return s
}

func hasProblem(st *clustermesh.State, sub string) bool {
	for _, p := range st.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

var metav1GetOptions = metav1.GetOptions{}
