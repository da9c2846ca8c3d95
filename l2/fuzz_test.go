package l2_test

import (
	"net/netip"
	"slices"
	"testing"

	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/l2"
)

// FuzzSelect feeds policies and Services as read from a cluster (any interface pattern,
// any address strings) to Select: it must not panic, must return matches only for valid
// policies, only on listed interfaces, and only with addresses the Service carries.
func FuzzSelect(f *testing.F) {
	f.Add("^eth[0-9]+", "eth0", "10.10.200.1", "192.0.2.7", true, true)
	f.Add("(", "eth0", "10.10.200.300", "", true, false)
	f.Add("", "bond0", "2001:db8::1", "fe80::1%eth0", false, true)
	f.Fuzz(func(t *testing.T, pattern, iface, lbIP, extIP string, lb, ext bool) {
		p := &ciliumv2alpha1.CiliumL2AnnouncementPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: ciliumv2alpha1.CiliumL2AnnouncementPolicySpec{LoadBalancerIPs: lb, ExternalIPs: ext}}
		if pattern != "" {
			p.Spec.Interfaces = []string{pattern}
		}
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "svc"},
			Spec:   corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: []string{extIP}},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: lbIP}}}}}
		node := l2.Node{Name: "n", Interfaces: []string{iface}}
		ms, err := l2.Select([]*ciliumv2alpha1.CiliumL2AnnouncementPolicy{p}, svc, node)
		valid := l2.ValidatePolicy(p) == nil
		if (err == nil) != valid {
			t.Fatalf("Select error %v, ValidatePolicy valid=%v", err, valid)
		}
		for _, m := range ms {
			if !valid {
				t.Fatalf("match %+v from an invalid policy", m)
			}
			for _, i := range m.Interfaces {
				if !slices.Contains(node.Interfaces, i) {
					t.Fatalf("interface %q not on the node", i)
				}
			}
			for _, ip := range m.IPs {
				if !((lb && sameAddr(ip, lbIP)) || (ext && sameAddr(ip, extIP))) {
					t.Fatalf("address %s not announced by the policy's kinds (lb %q ext %q)", ip, lbIP, extIP)
				}
			}
		}
	})
}

func sameAddr(ip netip.Addr, s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a == ip
}
