package resolve_test

import (
	"fmt"
	"net/netip"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
	"github.com/ciliumkit/ciliumkit/egress/resolve"
)

// The seed's policy with a second gateway: the mediabot pod's traffic leaves through
// k8s-w2; when k8s-w2 turns unready it moves to k8s-w3.
func ExampleResolve() {
	gw := func(node, ip string) gatewaypolicy.GatewaySpec {
		return gatewaypolicy.GatewaySpec{
			NodeSelector: &slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": node}},
			EgressIP:     netip.MustParseAddr(ip),
		}
	}
	p, _ := gatewaypolicy.New("egress-sample").
		SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"org": "empire", "class": "mediabot"}}, nil).
		Destinations(netip.MustParsePrefix("192.168.20.100/32")).
		Gateway(gw("k8s-w2", "192.168.10.240")).
		Gateway(gw("k8s-w3", "192.168.10.241")).
		Build()
	node := func(name, ip string, ready corev1.ConditionStatus) *corev1.Node {
		return &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
			Status: corev1.NodeStatus{
				Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}},
			},
		}
	}
	s := &resolve.State{
		Policies: []*ciliumv2.CiliumEgressGatewayPolicy{p},
		Nodes:    []*corev1.Node{node("k8s-w2", "192.168.10.21", corev1.ConditionTrue), node("k8s-w3", "192.168.10.22", corev1.ConditionTrue)},
		Endpoints: []*ciliumv2.CiliumEndpoint{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mediabot", UID: "6f2c1d9e-0000-4000-8000-000000000001"},
			Status: ciliumv2.EndpointStatus{
				Identity:   &ciliumv2.EndpointIdentity{Labels: []string{"k8s:org=empire", "k8s:class=mediabot"}},
				Networking: &ciliumv2.EndpointNetworking{Addressing: ciliumv2.AddressPairList{{IPV4: "10.245.1.7"}}},
			},
		}},
	}
	fmt.Println(resolve.Resolve(s, time.Now(), nil).Entries)

	s.Nodes[0] = node("k8s-w2", "192.168.10.21", corev1.ConditionFalse)
	res := resolve.Resolve(s, time.Now(), nil)
	fmt.Println(res.Entries)
	fmt.Println(res.Policies[0].Gateways[0].Reason)
	// Output:
	// [10.245.1.7 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240]
	// [10.245.1.7 -> 192.168.20.100/32 via 192.168.10.22 as 192.168.10.241]
	// node k8s-w2 Ready=False
}
