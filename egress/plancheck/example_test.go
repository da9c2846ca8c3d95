package plancheck_test

import (
	"errors"
	"fmt"
	"net/netip"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
	"github.com/ciliumkit/ciliumkit/egress/plancheck"
	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// The seed's second policy (mediabot pods to 0.0.0.0/0 through k8s-w2 as
// 192.168.10.240), checked against the seed mesh before it is applied to hk: it would
// send pod-to-pod traffic of both clusters through the gateway. Excluding the mesh's pod
// pool fixes it.
func ExampleCheck() {
	plan, err := mesh.NewPlan(mesh.Spec{
		Pools: ipam.Pools{Pods: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")}},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1}, {Name: "hk", ID: 2, PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.245.0.0/16")}},
		},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	nodes := map[string]map[string]string{
		"k8s-w1": {"kubernetes.io/hostname": "k8s-w1"},
		"k8s-w2": {"kubernetes.io/hostname": "k8s-w2"},
	}
	b := gatewaypolicy.New("egress-sample").
		SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"org": "empire", "class": "mediabot"}}, nil).
		Destinations(netip.MustParsePrefix("0.0.0.0/0")).
		Gateway(gatewaypolicy.GatewaySpec{
			NodeSelector: &slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": "k8s-w2"}},
			EgressIP:     netip.MustParseAddr("192.168.10.240"),
		})
	p, _ := b.Build()
	err = plancheck.Check(p, plan, "hk", nodes)
	fmt.Println(errors.Is(err, plancheck.ErrDestinationCoversPods))
	fmt.Println(err)

	p, _ = b.Exclude(netip.MustParsePrefix("10.240.0.0/12")).Build()
	fmt.Println(plancheck.Check(p, plan, "hk", nodes))
	// Output:
	// true
	// plancheck: policy "egress-sample": destination CIDR 0.0.0.0/0 covers cluster hk's pod range 10.245.0.0/16 (pod traffic would leave through the gateway); exclude it
	// plancheck: policy "egress-sample": destination CIDR 0.0.0.0/0 covers cluster tokyo's pod range 10.240.0.0/16 (pod traffic would leave through the gateway); exclude it
	// <nil>
}
