package lbipam

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// testPool builds a pool from "cidr" or "start-stop" block strings; created orders pools
// by age.
func testPool(t testing.TB, name string, created int, blocks ...string) *ciliumv2.CiliumLoadBalancerIPPool {
	t.Helper()
	var bs []Block
	for _, b := range blocks {
		if start, stop, ok := strings.Cut(b, "-"); ok {
			bs = append(bs, BlockRange(netip.MustParseAddr(start), netip.MustParseAddr(stop)))
		} else {
			bs = append(bs, CIDRBlock(netip.MustParsePrefix(b)))
		}
	}
	p, err := NewPool(name, bs...).Build()
	if err != nil {
		t.Fatalf("pool %s: %v", name, err)
	}
	p.CreationTimestamp = metav1.NewTime(time.Unix(int64(1_700_000_000+created), 0))
	return p
}

func withSelector(p *ciliumv2.CiliumLoadBalancerIPPool, labels map[string]string) *ciliumv2.CiliumLoadBalancerIPPool {
	p.Spec.ServiceSelector = &slimv1.LabelSelector{MatchLabels: labels}
	return p
}

func noFirstLast(p *ciliumv2.CiliumLoadBalancerIPPool) *ciliumv2.CiliumLoadBalancerIPPool {
	p.Spec.AllowFirstLastIPs = ciliumv2.AllowFirstLastIPNo
	return p
}

// testSvc returns a LoadBalancer Service with one TCP port 80.
func testSvc(ns, name string, opts ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func withAnn(k, v string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[k] = v
	}
}

func withLabel(k, v string) func(*corev1.Service) {
	return func(s *corev1.Service) {
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[k] = v
	}
}

func withPort(p int32, proto corev1.Protocol) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.Ports = []corev1.ServicePort{{Port: p, Protocol: proto}} }
}

func withClass(c string) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.LoadBalancerClass = &c }
}

func withFamilies(policy corev1.IPFamilyPolicy, fams ...corev1.IPFamily) func(*corev1.Service) {
	return func(s *corev1.Service) { s.Spec.IPFamilyPolicy = &policy; s.Spec.IPFamilies = fams }
}

func ipsString(ips []netip.Addr) string {
	var b []string
	for _, ip := range ips {
		b = append(b, ip.String())
	}
	return strings.Join(b, ",")
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }
