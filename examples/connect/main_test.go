package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func TestParseClusterRef(t *testing.T) {
	r, err := parseClusterRef("hk=2@admin@hk-prod")
	if err != nil || r.Cluster != (mesh.Cluster{Name: "hk", ID: 2}) || r.Context != "admin@hk-prod" {
		t.Errorf("got %+v, %v", r, err)
	}
	for _, bad := range []string{"hk=2", "hk@ctx", "hk=0@ctx", "hk=512@ctx", "HK=1@ctx", "=1@ctx", "hk=x@ctx", "hk=1@"} {
		if _, err := parseClusterRef(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseClusterRef(f *testing.F) {
	f.Add("tokyo=1@kind-tokyo")
	f.Add("a=511@x@y")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseClusterRef(s)
		if err != nil {
			return
		}
		if r.Context == "" || mesh.ValidateClusterName(r.Cluster.Name) != nil || r.Cluster.ID == 0 || r.Cluster.ID > 511 {
			t.Fatalf("%q parsed to invalid %+v", s, r)
		}
	})
}

// TestRun connects two real API servers named by kubeconfig contexts.
func TestRun(t *testing.T) {
	chartPath, err := testenv.CiliumChartPath()
	if err != nil {
		t.Fatal(err)
	}
	kc := clientcmdapi.NewConfig()
	for i, name := range []string{"tokyo", "hk"} {
		e := testenv.Start(t, &testenv.Options{Name: name})
		ctx := context.Background()
		n, err := e.Kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name + "-1"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: []string{"10.13.0.10", "10.14.0.10"}[i]}}
		if _, err := e.Kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		kc.Clusters[name] = &clientcmdapi.Cluster{Server: e.Config.Host, CertificateAuthorityData: e.Config.CAData}
		kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: e.Config.CertData, ClientKeyData: e.Config.KeyData}
		kc.Contexts["ctx-"+name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	args := []string{"-kubeconfig", path, "-chart", chartPath, "-cluster", "tokyo=1@ctx-tokyo", "-cluster", "hk=2@ctx-hk"}

	// No Node tells the provider: the service type cannot be detected.
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "set it explicitly") {
		t.Fatalf("without -service-type: exit %d, stderr:\n%s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code := run(context.Background(), append(args, "-service-type", "NodePort"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	want := "tokyo\tNodePort\t10.13.0.10:32379\tapiserver 0/1 ready\tpeers hk\n" +
		"hk\tNodePort\t10.14.0.10:32379\tapiserver 0/1 ready\tpeers tokyo\n"
	if stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), want)
	}
	if !strings.Contains(stderr.String(), "connected 2 clusters") || strings.Contains(stderr.String(), "PRIVATE KEY") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if code := run(context.Background(), []string{"-cluster", "tokyo=1@x"}, &stdout, &stderr); code != 2 {
		t.Errorf("one cluster: exit %d, want 2", code)
	}
}
