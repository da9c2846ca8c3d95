package main

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// The seed's sample application: Service echoserver/echoserver, annotated
// service.cilium.io/global: "true", port 80/TCP, one echo-server pod per cluster.
const (
	echoNamespace = "echoserver"
	echoName      = "echoserver"
	echoPort      = 80
	// echoServiceID is the ID the seed's `cilium service list` shows for it.
	echoServiceID = 30
)

// The seed's ClusterIPs (10.110.200.29, 10.107.10.189) and pod IPs (10.0.0.124,
// 10.0.0.76) came from two minikube clusters whose pod ranges overlapped, which a mesh
// cannot have. The quickstart keeps their host numbers and puts them in the planned
// ranges instead.
var echoHosts = map[string]struct{ clusterIP, pod uint32 }{
	"tokyo": {clusterIP: 29, pod: 124},
	"hk":    {clusterIP: 189, pod: 76},
}

// echoserver returns cluster c's echoserver Service and EndpointSlice, with addresses
// from c's planned service and pod ranges.
func echoserver(c mesh.ClusterPlan) (*corev1.Service, *discoveryv1.EndpointSlice, error) {
	hosts, ok := echoHosts[c.Name]
	if !ok {
		return nil, nil, fmt.Errorf("no echoserver addresses for cluster %s", c.Name)
	}
	svcRange, err := firstV4("service", c, c.ServiceCIDRs)
	if err != nil {
		return nil, nil, err
	}
	podRange, err := firstV4("pod", c, c.PodCIDRs)
	if err != nil {
		return nil, nil, err
	}
	clusterIP, err := hostAt(svcRange, hosts.clusterIP)
	if err != nil {
		return nil, nil, err
	}
	podIP, err := hostAt(podRange, hosts.pod)
	if err != nil {
		return nil, nil, err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: echoName, Namespace: echoNamespace,
			Annotations: map[string]string{"service.cilium.io/global": "true"},
		},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  clusterIP.String(),
			ClusterIPs: []string{clusterIP.String()},
			Selector:   map[string]string{"app": echoName},
			Ports:      []corev1.ServicePort{{Port: echoPort, TargetPort: intstr.FromInt32(echoPort), Protocol: corev1.ProtocolTCP}},
		},
	}
	ready := true
	proto := corev1.ProtocolTCP
	port := int32(echoPort)
	portName := ""
	node := "mk-" + c.Name
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: echoName + "-" + c.Name, Namespace: echoNamespace,
			Labels: map[string]string{discoveryv1.LabelServiceName: echoName},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{podIP.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			NodeName:   &node,
		}},
		Ports: []discoveryv1.EndpointPort{{Name: &portName, Port: &port, Protocol: &proto}},
	}
	return svc, slice, nil
}

// withAffinity returns a copy of svc whose service.cilium.io/affinity annotation is value,
// or absent when value is "".
func withAffinity(svc *corev1.Service, value string) *corev1.Service {
	out := svc.DeepCopy()
	if value == "" {
		delete(out.Annotations, "service.cilium.io/affinity")
	} else {
		out.Annotations["service.cilium.io/affinity"] = value
	}
	return out
}

// frontend returns the first ClusterIP of svc with its first port.
func frontend(svc *corev1.Service) (netip.AddrPort, error) {
	ip, err := netip.ParseAddr(svc.Spec.ClusterIP)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return netip.AddrPortFrom(ip, uint16(svc.Spec.Ports[0].Port)), nil
}
