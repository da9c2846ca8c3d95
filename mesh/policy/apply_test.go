package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/policy/api"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/apply"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// TestApplyPolicyEverywhere applies the seed's deathstar L7 policy and a cross-cluster
// policy to two real API servers with Cilium's CRDs, reads them back from both, and shows
// malformed objects rejected by the CRD schema.
func TestApplyPolicyEverywhere(t *testing.T) {
	envs := []*testenv.Env{testenv.Start(t, &testenv.Options{Name: "tokyo"}), testenv.Start(t, &testenv.Options{Name: "hk"})}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const ns = "starwars"
	var targets []Target
	for _, e := range envs {
		if _, err := e.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pt, err := NewTarget(e.Name, e.Config)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, pt)
	}

	for _, p := range []NetworkPolicy{deathstarL7(ns), crossCluster(ns)} {
		cnp, err := p.Build()
		if err != nil {
			t.Fatal(err)
		}
		if err := Apply(ctx, targets, cnp, nil); err != nil {
			t.Fatalf("apply %s: %v", p.Name, err)
		}
		for _, tg := range targets {
			got, err := tg.Client.CiliumV2().CiliumNetworkPolicies(ns).Get(ctx, p.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("%s: %v", tg.Cluster, err)
			}
			if g, w := specJSON(t, got), specJSON(t, cnp); g != w {
				t.Errorf("%s stored\n%s\nwant\n%s", tg.Cluster, g, w)
			}
			if len(got.ManagedFields) != 1 || got.ManagedFields[0].Manager != apply.FieldManager || got.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
				t.Errorf("%s managed fields %+v", tg.Cluster, got.ManagedFields)
			}
			// Applying the same policy again changes nothing.
			if err := Apply(ctx, targets[:1], cnp, nil); err != nil {
				t.Fatal(err)
			}
		}
		again, err := targets[0].Client.CiliumV2().CiliumNetworkPolicies(ns).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil || again.Generation != 1 {
			t.Errorf("re-apply bumped generation to %d (%v)", again.Generation, err)
		}
	}

	malformed := []struct {
		name string
		edit func(c *ciliumv2.CiliumNetworkPolicy)
		want string
	}{
		{"unknown protocol", func(c *ciliumv2.CiliumNetworkPolicy) { c.Spec.Ingress[0].ToPorts[0].Ports[0].Protocol = "BOGUS" }, "BOGUS"},
		{"unknown entity", func(c *ciliumv2.CiliumNetworkPolicy) {
			c.Spec.Ingress[0].FromEntities = api.EntitySlice{"galaxy"}
		}, "galaxy"},
		{"negative port", func(c *ciliumv2.CiliumNetworkPolicy) { c.Spec.Ingress[0].ToPorts[0].Ports[0].Port = "-1" }, "-1"},
	}
	for _, m := range malformed {
		t.Run(m.name, func(t *testing.T) {
			cnp, err := deathstarL7(ns).Build()
			if err != nil {
				t.Fatal(err)
			}
			cnp.Name = "malformed"
			m.edit(cnp)
			err = Apply(ctx, targets, cnp, nil)
			if !errors.Is(err, ErrApply) {
				t.Fatalf("malformed policy applied: %v", err)
			}
			var st *apierrors.StatusError
			if !errors.As(err, &st) || !apierrors.IsInvalid(st) {
				t.Fatalf("not an Invalid status: %v", err)
			}
			for _, want := range []string{"cluster tokyo", "cluster hk", m.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
		})
	}
}
