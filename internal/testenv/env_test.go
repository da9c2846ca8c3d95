package testenv_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestTwoEnvironmentsSideBySide(t *testing.T) {
	envs := make([]*testenv.Env, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"tokyo", "hk"} {
		wg.Go(func() { envs[i] = testenv.Start(t, &testenv.Options{Name: name, SkipCRDs: true}) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if envs[0].Config.Host == envs[1].Config.Host {
		t.Fatalf("both environments serve on %s", envs[0].Config.Host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, e := range envs {
		v, err := e.Kube.Discovery().ServerVersion()
		if err != nil {
			t.Fatalf("%s: /version: %v", e.Name, err)
		}
		if v.GitVersion != testenv.KubeVersion {
			t.Errorf("%s: /version gitVersion = %q, want %q", e.Name, v.GitVersion, testenv.KubeVersion)
		}
		ns := e.Namespace(t)
		list, err := e.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("%s: list namespaces: %v", e.Name, err)
		}
		var names []string
		for _, n := range list.Items {
			names = append(names, n.Name)
		}
		joined := "," + strings.Join(names, ",") + ","
		for _, want := range []string{"default", "kube-system", ns} {
			if !strings.Contains(joined, ","+want+",") {
				t.Errorf("%s: namespace %q missing from %v", e.Name, want, names)
			}
		}
	}
	// A namespace made in one cluster does not exist in the other.
	ns := envs[0].Namespace(t)
	if _, err := envs[1].Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s of %s visible in %s (err %v)", ns, envs[0].Name, envs[1].Name, err)
	}
}

func TestCiliumCRDSchema(t *testing.T) {
	e := testenv.Start(t, &testenv.Options{Name: "crd"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pools := e.Cilium.CiliumV2().CiliumLoadBalancerIPPools()

	good := &ciliumv2.CiliumLoadBalancerIPPool{
		ObjectMeta: metav1.ObjectMeta{Name: "cilium-pool"},
		Spec: ciliumv2.CiliumLoadBalancerIPPoolSpec{
			Blocks:            []ciliumv2.CiliumLoadBalancerIPPoolIPBlock{{Cidr: "10.10.200.0/29"}},
			AllowFirstLastIPs: ciliumv2.AllowFirstLastIPNo,
		},
	}
	got, err := pools.Create(ctx, good, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create valid pool: %v", err)
	}
	if got.Spec.Blocks[0].Cidr != "10.10.200.0/29" || got.Spec.AllowFirstLastIPs != ciliumv2.AllowFirstLastIPNo {
		t.Errorf("stored pool spec = %+v", got.Spec)
	}
	back, err := pools.Get(ctx, "cilium-pool", metav1.GetOptions{})
	if err != nil || back.UID != got.UID {
		t.Fatalf("get pool: %v (uid %v vs %v)", err, back, got.UID)
	}

	for name, block := range map[string]ciliumv2.CiliumLoadBalancerIPPoolIPBlock{
		"not-a-cidr": {Cidr: "10.10.200.0/99"},
		"garbage":    {Cidr: "ten-dot-ten"},
	} {
		bad := good.DeepCopy()
		bad.Name = name
		bad.Spec.Blocks = []ciliumv2.CiliumLoadBalancerIPPoolIPBlock{block}
		_, err := pools.Create(ctx, bad, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Errorf("pool %s with block %+v: err = %v, want Invalid from the CRD schema", name, block, err)
		}
	}
	list, err := pools.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Errorf("%d pools stored, want only the valid one", len(list.Items))
	}
}

func TestRestartKeepsState(t *testing.T) {
	e := testenv.Start(t, &testenv.Options{Name: "restart", SkipCRDs: true})
	ns := e.Namespace(t)
	e.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err == nil {
		t.Fatal("stopped API server still answers")
	}
	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Kube.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("namespace %s lost across restart: %v", ns, err)
	}
}
