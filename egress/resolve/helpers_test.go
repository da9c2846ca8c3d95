package resolve

import (
	"net/netip"
	"strings"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
)

// node returns a Node with an InternalIP, labels (kubernetes.io/hostname added) and a
// Ready condition.
func node(name, ip string, ready bool, labels ...string) *corev1.Node {
	l := map[string]string{"kubernetes.io/hostname": name}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		l[k] = v
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
		Status: corev1.NodeStatus{
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st, Reason: "Test"}},
		},
	}
}

// cep returns a CiliumEndpoint as Cilium writes it: identity labels with their k8s:
// source, including the namespace label.
func cep(ns, name, uid, ip, nodeIP string, labels ...string) *ciliumv2.CiliumEndpoint {
	ls := []string{"k8s:io.kubernetes.pod.namespace=" + ns, "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=" + ns}
	for _, l := range labels {
		ls = append(ls, "k8s:"+l)
	}
	return &ciliumv2.CiliumEndpoint{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)},
		Status: ciliumv2.EndpointStatus{
			Identity:   &ciliumv2.EndpointIdentity{ID: 1234, Labels: ls},
			Networking: &ciliumv2.EndpointNetworking{NodeIP: nodeIP, Addressing: ciliumv2.AddressPairList{{IPV4: ip}}},
		},
	}
}

// lease returns a heartbeat Lease of node renewed at renew, valid for d.
func lease(ns, node string, renew time.Time, d time.Duration) *coordinationv1.Lease {
	secs := int32(d / time.Second)
	t := metav1.NewMicroTime(renew)
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: node},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &node, LeaseDurationSeconds: &secs, RenewTime: &t},
	}
}

var (
	mediabot = &slimv1.LabelSelector{MatchLabels: map[string]string{
		"org": "empire", "class": "mediabot", "io.kubernetes.pod.namespace": "default"}}
	extHost = netip.MustParsePrefix("192.168.20.100/32")
	anyDst  = netip.MustParsePrefix("0.0.0.0/0")
)

func hostname(n string) *slimv1.LabelSelector {
	return &slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": n}}
}

// seedPolicy is the seed's egress-sample: mediabot pods to 192.168.20.100/32, then
// 0.0.0.0/0, through the node k8s-w2 as 192.168.10.240; more gateways may be added.
func seedPolicy(extra ...gatewaypolicy.GatewaySpec) *ciliumv2.CiliumEgressGatewayPolicy {
	b := gatewaypolicy.New("egress-sample").SelectPods(mediabot, nil).Destinations(extHost, anyDst).
		Gateway(gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w2"), EgressIP: netip.MustParseAddr("192.168.10.240")})
	for _, g := range extra {
		b.Gateway(g)
	}
	p, err := b.Build()
	if err != nil {
		panic(err)
	}
	return p
}
