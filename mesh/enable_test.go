package mesh_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// TestEnable turns on the clustermesh-apiserver of one cluster behind a LoadBalancer
// that has no address yet: certificates and release are in place, no peer is
// configured, and status says why the cluster cannot be reached yet.
func TestEnable(t *testing.T) {
	cs := startClusters(t, "tokyo")
	e := cs[0].env
	ts := targets(cs)
	ctx := context.Background()
	var logs bytes.Buffer
	opts := &mesh.ConnectOptions{Enable: mesh.EnableOptions{ServiceType: mesh.LoadBalancer},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	rep, err := mesh.Enable(ctx, ts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Clusters[0]; r.Enable != "install" || r.Connect != "" || r.Access != nil || r.ServiceType != mesh.LoadBalancer {
		t.Errorf("report %+v", r)
	}
	if !strings.Contains(logs.String(), "no ingress IP or hostname yet") {
		t.Errorf("no warning about the missing ingress in:\n%s", logs.String())
	}
	svc, err := e.Kube.CoreV1().Services("kube-system").Get(ctx, mesh.APIServerName, metav1.GetOptions{})
	if err != nil || svc.Spec.Type != "LoadBalancer" {
		t.Fatalf("Service: %v %v", svc.Spec.Type, err)
	}
	ca, err := mesh.LoadCA(secret(t, e, mesh.SecretCA).Data["ca.crt"], secret(t, e, mesh.SecretCA).Data["ca.key"])
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{mesh.SecretServerCert, mesh.SecretAdminCert, mesh.SecretRemoteCert, mesh.SecretLocalCert} {
		if err := mesh.VerifyCertSecret(secret(t, e, n), "tokyo", ca, nil); err != nil {
			t.Error(err)
		}
	}
	if _, err := e.Kube.CoreV1().Secrets("kube-system").Get(ctx, mesh.SecretClusterMesh, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("enable alone configured peers: %v", err)
	}
	st, err := mesh.Status(ctx, ts[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.ServiceType != mesh.LoadBalancer || st.Access != nil || !strings.Contains(st.AccessError, "no ingress") || len(st.Peers) != 0 || !st.APIServer.Found {
		t.Errorf("status %+v", st)
	}
	rvs := resourceVersions(t, e)
	rep, err = mesh.Enable(ctx, ts, opts)
	if err != nil || rep.Clusters[0].Enable != "unchanged" {
		t.Fatalf("second Enable: %+v %v", rep, err)
	}
	for k, v := range resourceVersions(t, e) {
		if rvs[k] != v {
			t.Errorf("%s changed on the second Enable", k)
		}
	}
}
