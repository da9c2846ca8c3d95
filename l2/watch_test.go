package l2_test

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/l2"
)

// createLBService creates a LoadBalancer Service with labels and sets its ingress IPs, as
// LB IPAM would.
func createLBService(t testing.TB, kube kubernetes.Interface, ns, name string, labels map[string]string, ips ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: new(false),
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	got, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service %s/%s: %v", ns, name, err)
	}
	for _, ip := range ips {
		got.Status.LoadBalancer.Ingress = append(got.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	if _, err := kube.CoreV1().Services(ns).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set ingress of service %s/%s to %v: %v", ns, name, ips, err)
	}
}

func createNode(t testing.TB, kube kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
}

// waitSet waits for a set equal to want on sets.
func waitSet(t *testing.T, sets <-chan []l2.Announcement, want []l2.Announcement) {
	t.Helper()
	deadline := time.After(time.Minute)
	var last []l2.Announcement
	for {
		select {
		case s := <-sets:
			if slices.Equal(s, want) {
				return
			}
			last = s
		case <-deadline:
			t.Fatalf("desired set %v, want %v", last, want)
		}
	}
}

// TestWatch computes the desired set from a real API server's policies, Services and Node.
func TestWatch(t *testing.T) {
	e := testenv.Start(t, &testenv.Options{Name: "l2-watch"})
	ns := e.Namespace(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	createNode(t, e.Kube, "w1", map[string]string{"role": "edge"})
	policy, err := l2.NewPolicy("edge-web").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}).
		NodeSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"role": "edge"}}).
		Interfaces("^eth[0-9]$").LoadBalancerIPs(true).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cilium.CiliumV2alpha1().CiliumL2AnnouncementPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createLBService(t, e.Kube, ns, "web", map[string]string{"app": "web"}, "10.10.200.2", "10.10.200.1")
	createLBService(t, e.Kube, ns, "db", map[string]string{"app": "db"}, "10.10.200.3")

	sets := make(chan []l2.Announcement, 100)
	var calls atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- l2.Watch(ctx, e.Kube, e.Cilium, "w1", []string{"lo", "eth0", "eth1"}, func(s []l2.Announcement) error {
			if calls.Add(1) == 1 {
				return errors.New("refused once") // Watch must hand the set again
			}
			sets <- s
			return nil
		}, &l2.WatchOptions{Retry: 50 * time.Millisecond})
	}()

	web := types.NamespacedName{Namespace: ns, Name: "web"}
	var want []l2.Announcement
	for _, ip := range []string{"10.10.200.1", "10.10.200.2"} {
		for _, dev := range []string{"eth0", "eth1"} {
			want = append(want, l2.Announcement{Service: web, IP: netip.MustParseAddr(ip), Interface: dev})
		}
	}
	waitSet(t, sets, want)

	// Relabelling the node takes it out of the policy's nodeSelector.
	node, err := e.Kube.CoreV1().Nodes().Get(ctx, "w1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Labels["role"] = "core"
	if _, err := e.Kube.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitSet(t, sets, nil)

	// A second policy without a node selector, for db, on eth1 only.
	dbPolicy, err := l2.NewPolicy("db").
		ServiceSelector(&slimv1.LabelSelector{MatchLabels: map[string]string{"app": "db"}}).
		Interfaces("eth1").LoadBalancerIPs(true).Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cilium.CiliumV2alpha1().CiliumL2AnnouncementPolicies().Create(ctx, dbPolicy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitSet(t, sets, []l2.Announcement{{Service: types.NamespacedName{Namespace: ns, Name: "db"},
		IP: netip.MustParseAddr("10.10.200.3"), Interface: "eth1"}})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watch returned %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
	if n := calls.Load(); n < 4 {
		t.Errorf("update called %d times, want the refused call plus three sets", n)
	}

	for _, tc := range []struct {
		node string
		devs []string
		upd  func([]l2.Announcement) error
	}{
		{"", []string{"eth0"}, func([]l2.Announcement) error { return nil }},
		{"w1", nil, func([]l2.Announcement) error { return nil }},
		{"w1", []string{"eth0"}, nil},
	} {
		err := l2.Watch(context.Background(), e.Kube, e.Cilium, tc.node, tc.devs, tc.upd, nil)
		if !errors.Is(err, l2.ErrInvalidAnnouncer) {
			t.Errorf("Watch(%q, %q): %v", tc.node, tc.devs, err)
		}
	}
}
