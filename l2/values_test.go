package l2_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/l2"
)

// TestHelmValuesRenderedByChart renders the real Cilium chart with the values and checks
// what the agent will read from cilium-config.
func TestHelmValuesRenderedByChart(t *testing.T) {
	seed := l2.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond}
	vals, err := l2.HelmValues(seed, &l2.ValuesOptions{Services: 100, ExternalIPs: true})
	if err != nil {
		t.Fatal(err)
	}
	// The platform's own values: kube-proxy replacement needs the API server address.
	maps.Copy(vals, map[string]any{"k8sServiceHost": "10.0.0.1", "k8sServicePort": 6443})
	_, config := testenv.RenderCilium(t, vals)
	for k, want := range map[string]string{
		"enable-l2-announcements":         "true",
		"l2-announcements-lease-duration": "3s",
		"l2-announcements-renew-deadline": "1s",
		"l2-announcements-retry-period":   "200ms",
		"kube-proxy-replacement":          "true",
		"k8s-client-qps":                  "110",
		"k8s-client-burst":                "220",
	} {
		if got := config[k]; got != want {
			t.Errorf("cilium-config %s = %q, want %q", k, got, want)
		}
	}
	if _, err := l2.HelmValues(l2.Timing{LeaseDuration: time.Second, RenewDeadline: time.Second, RetryPeriod: time.Millisecond}, nil); err == nil {
		t.Error("HelmValues accepted renewDeadline == leaseDuration")
	}
}

// TestPolicyAcceptedByCRDSchema creates built policies in a real API server.
func TestPolicyAcceptedByCRDSchema(t *testing.T) {
	e := testenv.Start(t, &testenv.Options{Name: "l2"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lbOnly, err := l2.NewPolicy("lb-only").LoadBalancerIPs(true).Build()
	if err != nil {
		t.Fatal(err)
	}
	client := e.Cilium.CiliumV2alpha1().CiliumL2AnnouncementPolicies()
	for _, p := range []*ciliumv2alpha1.CiliumL2AnnouncementPolicy{seedPolicy(t), lbOnly} {
		got, err := client.Create(ctx, p, metav1.CreateOptions{})
		if err != nil {
			t.Errorf("policy %s refused: %v", p.Name, err)
			continue
		}
		if got.Spec.ExternalIPs != p.Spec.ExternalIPs || got.Spec.LoadBalancerIPs != p.Spec.LoadBalancerIPs ||
			len(got.Spec.Interfaces) != len(p.Spec.Interfaces) || (p.Spec.NodeSelector != nil) != (got.Spec.NodeSelector != nil) {
			t.Errorf("policy %s round trip: %+v, sent %+v", p.Name, got.Spec, p.Spec)
		}
		if err := l2.ValidatePolicy(got); err != nil {
			t.Errorf("policy %s read back: %v", got.Name, err)
		}
	}
	// The schema does not compile interface patterns; ValidatePolicy does.
	bad := &ciliumv2alpha1.CiliumL2AnnouncementPolicy{ObjectMeta: metav1.ObjectMeta{Name: "bad-regex"},
		Spec: ciliumv2alpha1.CiliumL2AnnouncementPolicySpec{LoadBalancerIPs: true, Interfaces: []string{"eth[0-"}}}
	got, err := client.Create(ctx, bad, metav1.CreateOptions{})
	if err != nil {
		t.Skipf("schema now refuses a bad regex (%v); ValidatePolicy still covers it", err)
	}
	if err := l2.ValidatePolicy(got); !errors.Is(err, l2.ErrInvalidInterface) {
		t.Errorf("ValidatePolicy on %q: %v", got.Spec.Interfaces[0], err)
	}
}
