package gatewaypolicy_test

import (
	"fmt"
	"net/netip"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
)

// The seed's egress-sample policy: pods labelled app=test leave through the node labelled
// egress-node=true, SNATed to 192.168.1.100, except towards 10.0.0.0/8.
func ExampleBuilder() {
	app := &slimv1.LabelSelector{MatchLabels: map[string]string{"app": "test"}}
	p, err := gatewaypolicy.New("egress-sample").
		SelectPods(app, nil).
		Destinations(netip.MustParsePrefix("0.0.0.0/0")).
		Exclude(netip.MustParsePrefix("10.0.0.0/8")).
		Gateway(gatewaypolicy.GatewaySpec{
			NodeSelector: &slimv1.LabelSelector{MatchLabels: map[string]string{"egress-node": "true"}},
			EgressIP:     netip.MustParseAddr("192.168.1.100"),
		}).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Kind, p.Name, p.Spec.DestinationCIDRs, p.Spec.ExcludedCIDRs, p.Spec.EgressGateway.EgressIP)

	_, err = gatewaypolicy.New("bad").
		SelectPods(app, nil).
		Destinations(netip.MustParsePrefix("0.0.0.0/0")).
		Gateway(gatewaypolicy.GatewaySpec{Interface: "eth1", EgressIP: netip.MustParseAddr("192.168.1.100")}).
		Build()
	fmt.Println(err)
	// Output:
	// CiliumEgressGatewayPolicy egress-sample [0.0.0.0/0] [10.0.0.0/8] 192.168.1.100
	// gatewaypolicy: invalid egress gateway policy "bad": gateway 0: interface "eth1" and egressIP 192.168.1.100 are mutually exclusive
}
