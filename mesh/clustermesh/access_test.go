package clustermesh_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

func apiserverService(typ corev1.ServiceType, nodePort int32, ing ...corev1.LoadBalancerIngress) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "clustermesh-apiserver", Namespace: "kube-system"},
		Spec: corev1.ServiceSpec{Type: typ, ClusterIP: "10.96.4.7", ClusterIPs: []string{"10.96.4.7"},
			Ports: []corev1.ServicePort{{Port: 2379, NodePort: nodePort}}},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: ing}},
	}
}

func node(name string, addrs ...corev1.NodeAddress) corev1.Node {
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: addrs}}
}

func TestAccessFromService(t *testing.T) {
	internal := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip}
	}
	external := func(ip string) corev1.NodeAddress {
		return corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: ip}
	}
	for _, tc := range []struct {
		name      string
		svc       *corev1.Service
		nodes     []corev1.Node
		endpoints []string
		hostname  string
		warn      string
		err       error
	}{
		{name: "NodePort uses every node's InternalIP, sorted", svc: apiserverService(corev1.ServiceTypeNodePort, 32379),
			nodes:     []corev1.Node{node("b", internal("10.14.0.12"), external("203.0.113.9")), node("a", internal("10.14.0.11"))},
			endpoints: []string{"10.14.0.11:32379", "10.14.0.12:32379"}, warn: clustermesh.NodePortWarning},
		{name: "NodePort IPv6", svc: apiserverService(corev1.ServiceTypeNodePort, 31000),
			nodes: []corev1.Node{node("a", internal("fd00::5"))}, endpoints: []string{"[fd00::5]:31000"}, warn: clustermesh.NodePortWarning},
		{name: "NodePort without InternalIPs", svc: apiserverService(corev1.ServiceTypeNodePort, 32379),
			nodes: []corev1.Node{node("a", external("203.0.113.9"))}, err: clustermesh.ErrNoAccess},
		{name: "NodePort without nodes", svc: apiserverService(corev1.ServiceTypeNodePort, 32379), err: clustermesh.ErrNoAccess},
		{name: "NodePort not allocated", svc: apiserverService(corev1.ServiceTypeNodePort, 0), nodes: []corev1.Node{node("a", internal("10.0.0.1"))}, err: clustermesh.ErrNoAccess},
		{name: "LoadBalancer IPs", svc: apiserverService(corev1.ServiceTypeLoadBalancer, 30001, corev1.LoadBalancerIngress{IP: "198.51.100.20"}, corev1.LoadBalancerIngress{IP: "198.51.100.10"}),
			endpoints: []string{"198.51.100.10:2379", "198.51.100.20:2379"}},
		{name: "LoadBalancer IP wins over hostname", svc: apiserverService(corev1.ServiceTypeLoadBalancer, 0, corev1.LoadBalancerIngress{Hostname: "lb.example.net"}, corev1.LoadBalancerIngress{IP: "198.51.100.10"}),
			endpoints: []string{"198.51.100.10:2379"}},
		{name: "LoadBalancer hostname", svc: apiserverService(corev1.ServiceTypeLoadBalancer, 0, corev1.LoadBalancerIngress{Hostname: "lb.example.net"}),
			endpoints: []string{"lb.example.net:2379"}, hostname: "lb.example.net"},
		{name: "LoadBalancer pending", svc: apiserverService(corev1.ServiceTypeLoadBalancer, 30001), err: clustermesh.ErrNoAccess},
		{name: "ClusterIP", svc: apiserverService(corev1.ServiceTypeClusterIP, 0), endpoints: []string{"10.96.4.7:2379"}, warn: clustermesh.ClusterIPWarning},
		{name: "ExternalName", svc: apiserverService(corev1.ServiceTypeExternalName, 0), err: clustermesh.ErrServiceType},
		{name: "no port 2379", svc: &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Port: 80}}}}, err: clustermesh.ErrNoAccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := clustermesh.AccessFromService(tc.svc, tc.nodes)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Endpoints(); !slices.Equal(got, tc.endpoints) {
				t.Errorf("endpoints %v, want %v", got, tc.endpoints)
			}
			if a.Hostname != tc.hostname {
				t.Errorf("hostname %q, want %q", a.Hostname, tc.hostname)
			}
			if (tc.warn == "") != (len(a.Warnings) == 0) || (tc.warn != "" && a.Warnings[0] != tc.warn) {
				t.Errorf("warnings %q, want %q", a.Warnings, tc.warn)
			}
		})
	}
}

func TestServiceTypeForNodes(t *testing.T) {
	withProvider := func(name, id string) corev1.Node {
		return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{ProviderID: id}}
	}
	for _, tc := range []struct {
		nodes []corev1.Node
		want  clustermesh.ServiceType
	}{
		{[]corev1.Node{withProvider("a", "gce://p/z/a"), withProvider("b", "gce://p/z/b")}, clustermesh.LoadBalancer},
		{[]corev1.Node{withProvider("a", "aws:///eu-west-1a/i-1")}, clustermesh.LoadBalancer},
		{[]corev1.Node{withProvider("a", "azure:///subscriptions/x")}, clustermesh.LoadBalancer},
		{[]corev1.Node{withProvider("a", "kind://docker/kind/a")}, clustermesh.NodePort},
		{[]corev1.Node{withProvider("a", "")}, ""},
		{[]corev1.Node{withProvider("a", "openstack:///x")}, ""},
		{[]corev1.Node{withProvider("a", "kind://docker/a"), withProvider("b", "aws:///b")}, ""},
		{nil, ""},
	} {
		got, err := clustermesh.ServiceTypeForNodes(tc.nodes)
		if got != tc.want || (tc.want == "") != errors.Is(err, clustermesh.ErrServiceType) {
			t.Errorf("%v: got %q, %v; want %q", tc.nodes, got, err, tc.want)
		}
	}
}

// A NodePort clustermesh-apiserver is reached on the nodes' InternalIPs.
func ExampleAccessFromService() {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "clustermesh-apiserver", Namespace: "kube-system"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort,
			Ports: []corev1.ServicePort{{Port: 2379, NodePort: 32379}}},
	}
	nodes := []corev1.Node{
		{Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.14.0.11"}}}},
		{Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.14.0.10"}}}},
	}
	a, err := clustermesh.AccessFromService(svc, nodes)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.ServiceType, a.Endpoints())
	fmt.Println(len(a.Warnings), "warning")
	// Output:
	// NodePort [10.14.0.10:32379 10.14.0.11:32379]
	// 1 warning
}
