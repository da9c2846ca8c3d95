package apply_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/internal/apply"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestSecret(t *testing.T) {
	e := testenv.Start(t, &testenv.Options{Name: "apply", SkipCRDs: true})
	ctx := context.Background()
	ns := e.Namespace(t)
	want := func(v string) *corev1ac.SecretApplyConfiguration {
		return corev1ac.Secret("s", ns).WithType(corev1.SecretTypeOpaque).WithData(map[string][]byte{"k": []byte(v)})
	}
	first, err := apply.Secret(ctx, e.Kube, want("one"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := apply.Secret(ctx, e.Kube, want("one"))
	if err != nil {
		t.Fatal(err)
	}
	if again.ResourceVersion != first.ResourceVersion {
		t.Errorf("identical apply changed resourceVersion %s -> %s", first.ResourceVersion, again.ResourceVersion)
	}
	managers := map[string]bool{}
	for _, f := range again.ManagedFields {
		managers[f.Manager] = true
	}
	if !managers[apply.FieldManager] || len(managers) != 1 {
		t.Errorf("managers %v, want only %s", managers, apply.FieldManager)
	}

	// Another manager's edit of our field is taken back; its own field stays.
	s := again.DeepCopy()
	s.Data["k"] = []byte("theirs")
	s.Data["other"] = []byte("kept")
	if _, err := e.Kube.CoreV1().Secrets(ns).Update(ctx, s, metav1.UpdateOptions{FieldManager: "someone-else"}); err != nil {
		t.Fatal(err)
	}
	got, err := apply.Secret(ctx, e.Kube, want("two"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data["k"]) != "two" || string(got.Data["other"]) != "kept" {
		t.Errorf("data after apply: %q", got.Data)
	}

	_, err = apply.Secret(ctx, e.Kube, corev1ac.Secret("bad name!", ns).WithData(map[string][]byte{"k": []byte("sensitive-value")}))
	if err == nil || !strings.Contains(err.Error(), "bad name!") || strings.Contains(err.Error(), "sensitive-value") {
		t.Errorf("invalid Secret: %v", err)
	}
	if _, err := apply.Secret(ctx, e.Kube, corev1ac.Secret("x", "")); err == nil {
		t.Error("Secret without namespace accepted")
	}
}
