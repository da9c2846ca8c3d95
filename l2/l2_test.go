package l2_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/l2"
)

// seedPolicy is the seed: services by label, nodes by expression, interfaces by regex.
func seedPolicy(t testing.TB) *ciliumv2alpha1.CiliumL2AnnouncementPolicy {
	t.Helper()
	p, err := l2.NewPolicy("policy1").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"color": "blue"}}).
		NodeSelector(&slimv1.LabelSelector{MatchExpressions: []slimv1.LabelSelectorRequirement{
			{Key: "node-role.kubernetes.io/control-plane", Operator: slimv1.LabelSelectorOpDoesNotExist}}}).
		Interfaces("^eth[0-9]+").
		ExternalIPs(true).LoadBalancerIPs(true).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyBuilder(t *testing.T) {
	p := seedPolicy(t)
	if p.Kind != "CiliumL2AnnouncementPolicy" || p.APIVersion != "cilium.io/v2alpha1" || !p.Spec.ExternalIPs || !p.Spec.LoadBalancerIPs ||
		!slices.Equal(p.Spec.Interfaces, []string{"^eth[0-9]+"}) {
		t.Errorf("seed policy %+v", p)
	}
	for _, tc := range []struct {
		name string
		b    *l2.PolicyBuilder
		want []error
	}{
		{"bad name", l2.NewPolicy("Policy_1").LoadBalancerIPs(true), []error{l2.ErrInvalidPolicy}},
		{"announces nothing", l2.NewPolicy("p"), []error{l2.ErrInvalidPolicy}},
		{"bad regex", l2.NewPolicy("p").LoadBalancerIPs(true).Interfaces("eth[0-", "ok"), []error{l2.ErrInvalidInterface}},
		{"bad node selector", l2.NewPolicy("p").LoadBalancerIPs(true).NodeSelector(&slimv1.LabelSelector{
			MatchExpressions: []slimv1.LabelSelectorRequirement{{Key: "k", Operator: slimv1.LabelSelectorOpIn}}}), []error{l2.ErrInvalidSelector}},
		{"every problem at once", l2.NewPolicy("").Interfaces("("), []error{l2.ErrInvalidPolicy, l2.ErrInvalidInterface}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.b.Build()
			if p != nil || err == nil {
				t.Fatalf("Build: %v, %v", p, err)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("err %v, want %v", err, w)
				}
			}
		})
	}
}

func TestTimingValidation(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		t  l2.Timing
		ok bool
	}{
		{l2.Timing{3 * time.Second, time.Second, 200 * ms}, true},
		{l2.DefaultTiming(), true},
		{l2.Timing{0, time.Second, 200 * ms}, false},
		{l2.Timing{3 * time.Second, 0, 0}, false},
		{l2.Timing{3 * time.Second, time.Second, -ms}, false},
		{l2.Timing{time.Second, time.Second, 200 * ms}, false},     // renew == duration
		{l2.Timing{time.Second, 2 * time.Second, 200 * ms}, false}, // renew > duration
		{l2.Timing{3 * time.Second, time.Second, time.Second}, false},
		{l2.Timing{3 * time.Second, time.Second, 900 * ms}, false}, // 1s <= 1.2 x 900ms
		{l2.Timing{3 * time.Second, time.Second, 800 * ms}, true},  // 1s > 960ms
	} {
		t.Run(tc.t.String(), func(t *testing.T) {
			err := tc.t.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, l2.ErrInvalidTiming)) {
				t.Errorf("Validate: %v, want ok=%v", err, tc.ok)
			}
			if _, cerr := l2.Calculate(tc.t, 10, nil); (cerr == nil) != tc.ok {
				t.Errorf("Calculate: %v, want ok=%v", cerr, tc.ok)
			}
		})
	}
}

func TestCalculate(t *testing.T) {
	seed := l2.Timing{LeaseDuration: 3 * time.Second, RenewDeadline: time.Second, RetryPeriod: 200 * time.Millisecond}
	for _, tc := range []struct {
		t                  l2.Timing
		services           int
		opts               *l2.EstimateOptions
		min, max           time.Duration
		load               float64
		wantQPS, wantBurst int
	}{
		{seed, 0, nil, 2 * time.Second, 4 * time.Second, 0, 10, 20},
		{seed, 100, nil, 2 * time.Second, 4 * time.Second, 100, 110, 220},
		{l2.DefaultTiming(), 100, nil, 10 * time.Second, 20 * time.Second, 20, 30, 60},
		{l2.DefaultTiming(), 7, nil, 10 * time.Second, 20 * time.Second, 1.4, 12, 24},
		{l2.DefaultTiming(), 1, &l2.EstimateOptions{BaseQPS: 50, BaseBurst: 500}, 10 * time.Second, 20 * time.Second, 0.2, 51, 500},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.t, tc.services), func(t *testing.T) {
			e, err := l2.Calculate(tc.t, tc.services, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(tc.services) / tc.t.RetryPeriod.Seconds(); e.UnthrottledRenewalsPerSecond != want {
				t.Errorf("unthrottled renewals %v, want %v", e.UnthrottledRenewalsPerSecond, want)
			}
			if e.FailoverMin != tc.min || e.FailoverMax != tc.max || fmt.Sprintf("%.3f", e.LeaseRequestsPerSecond) != fmt.Sprintf("%.3f", tc.load) ||
				e.ClientQPS != tc.wantQPS || e.ClientBurst != tc.wantBurst {
				t.Errorf("got %+v", e)
			}
		})
	}
	if _, err := l2.Calculate(seed, -1, nil); !errors.Is(err, l2.ErrInvalidServiceCount) {
		t.Errorf("negative services: %v", err)
	}
}

func TestLeaseName(t *testing.T) {
	if got := l2.LeaseName("default", "web"); got != "cilium-l2announce-default-web" {
		t.Errorf("LeaseName = %q", got)
	}
}

func lbService(ns, name string, labels map[string]string, lbIPs []string, extIPs ...string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: extIPs}}
	for _, ip := range lbIPs {
		s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	return s
}

func TestSelect(t *testing.T) {
	seed := seedPolicy(t)
	lbOnly, _ := l2.NewPolicy("lb-only").LoadBalancerIPs(true).
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{l2.ServiceNamespaceLabel: "shop"}}).Build()
	extOnly, _ := l2.NewPolicy("ext-only").ExternalIPs(true).Build()
	broken := &ciliumv2alpha1.CiliumL2AnnouncementPolicy{ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: ciliumv2alpha1.CiliumL2AnnouncementPolicySpec{LoadBalancerIPs: true, Interfaces: []string{"("}}}
	policies := []*ciliumv2alpha1.CiliumL2AnnouncementPolicy{seed, lbOnly, extOnly}
	worker := l2.Node{Name: "w1", Labels: map[string]string{"kubernetes.io/os": "linux"}, Interfaces: []string{"lo", "eth0", "eth1", "wlan0"}}
	cp := l2.Node{Name: "cp", Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}, Interfaces: []string{"eth0"}}
	blue := map[string]string{"color": "blue"}
	l2class, otherClass := ciliumv2alpha1.L2AnnounceLoadBalancerClass, "example.com/lb"
	for _, tc := range []struct {
		name   string
		svc    *corev1.Service
		node   l2.Node
		policy []*ciliumv2alpha1.CiliumL2AnnouncementPolicy
		want   string
	}{
		{"blue on worker", lbService("default", "web", blue, []string{"10.10.200.1"}), worker, policies, "policy1[eth0 eth1]10.10.200.1"},
		{"blue on control plane", lbService("default", "web", blue, []string{"10.10.200.1"}), cp, policies, ""},
		{"red", lbService("default", "web", map[string]string{"color": "red"}, []string{"10.10.200.1"}), worker, policies, ""},
		{"namespace meta label", lbService("shop", "cart", nil, []string{"10.10.200.2"}), worker, policies, "lb-only[lo eth0 eth1 wlan0]10.10.200.2"},
		{"no address yet", lbService("shop", "cart", blue, nil), worker, policies, ""},
		{"external IPs", lbService("x", "y", blue, []string{"10.10.200.3"}, "192.0.2.7"), worker, policies,
			"ext-only[lo eth0 eth1 wlan0]192.0.2.7 policy1[eth0 eth1]10.10.200.3,192.0.2.7"},
		{"no matching interface", lbService("default", "web", blue, []string{"10.10.200.1"}), l2.Node{Name: "w2", Interfaces: []string{"bond0"}}, policies, ""},
		{"interfaces unknown", lbService("default", "web", blue, []string{"10.10.200.1"}), l2.Node{Name: "w3"}, policies, "policy1[]10.10.200.1"},
		{"l2 class", withClass(lbService("default", "web", blue, []string{"10.10.200.1"}), l2class), worker, policies, "policy1[eth0 eth1]10.10.200.1"},
		{"other class", withClass(lbService("default", "web", blue, []string{"10.10.200.1"}), otherClass), worker, policies, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := l2.Select(tc.policy, tc.svc, tc.node)
			if err != nil {
				t.Fatal(err)
			}
			if got := formatMatches(ms); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	ms, err := l2.Select(append(policies, broken), lbService("default", "web", blue, []string{"10.10.200.1"}), worker)
	if !errors.Is(err, l2.ErrInvalidInterface) || formatMatches(ms) != "policy1[eth0 eth1]10.10.200.1" {
		t.Errorf("with a broken policy: %q, %v", formatMatches(ms), err)
	}
}

func withClass(s *corev1.Service, c string) *corev1.Service {
	s.Spec.LoadBalancerClass = &c
	return s
}

func formatMatches(ms []l2.Match) string {
	out := ""
	for i, m := range ms {
		if i > 0 {
			out += " "
		}
		ips := ""
		for j, ip := range m.IPs {
			if j > 0 {
				ips += ","
			}
			ips += ip.String()
		}
		out += fmt.Sprintf("%s%v%s", m.Policy, m.Interfaces, ips)
	}
	return out
}

// TestPolicyBuilderRepeatedCalls checks what the setter docs promise: the last call
// wins, Interfaces replaces earlier patterns, and the policy shares nothing with the
// builder or the caller's selectors and patterns.
func TestPolicyBuilderRepeatedCalls(t *testing.T) {
	sel := &slimv1.LabelSelector{MatchLabels: map[string]string{"color": "blue"}}
	pats := []string{"^eth0$", "^eth1$"}
	b := l2.NewPolicy("p").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"old": "x"}}).ServiceSelector(sel).
		NodeSelector(sel).NodeSelector(nil).
		Interfaces("^bond0$").Interfaces(pats...).
		ExternalIPs(true).ExternalIPs(false).
		LoadBalancerIPs(false).LoadBalancerIPs(true)
	pats[0] = "changed"
	p, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.ExternalIPs || !p.Spec.LoadBalancerIPs || p.Spec.NodeSelector != nil ||
		!slices.Equal(p.Spec.Interfaces, []string{"^eth0$", "^eth1$"}) ||
		len(p.Spec.ServiceSelector.MatchLabels) != 1 || p.Spec.ServiceSelector.MatchLabels["color"] != "blue" {
		t.Errorf("last call did not win: %+v", p.Spec)
	}
	sel.MatchLabels["color"] = "red"
	if p.Spec.ServiceSelector.MatchLabels["color"] != "blue" {
		t.Error("built policy shares its selector with the caller")
	}
	if p2, _ := b.Interfaces().Build(); p2 == nil || p2.Spec.Interfaces != nil {
		t.Errorf("Interfaces() did not clear the patterns: %+v", p2)
	}
}
