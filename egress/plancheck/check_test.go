package plancheck

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// seedPlan is the design's seed mesh: tokyo (pods 10.240.0.0/16, services 10.96.0.0/20)
// and hk (pods 10.245.0.0/16, services 10.96.16.0/20).
func seedPlan(t testing.TB) *mesh.Plan {
	t.Helper()
	plan, err := mesh.NewPlan(mesh.Spec{
		Pools: ipam.Pools{Pods: pfx("10.240.0.0/12"), Services: pfx("10.96.0.0/12")},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "hk", ID: 2, NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

var nodes = map[string]map[string]string{
	"k8s-w1": {"kubernetes.io/hostname": "k8s-w1"},
	"k8s-w2": {"kubernetes.io/hostname": "k8s-w2", "egress-node": "true"},
}

func hostname(n string) *slimv1.LabelSelector {
	return &slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": n}}
}

// policy is the seed's policy (mediabot pods to 192.168.20.100/32, then 0.0.0.0/0,
// through k8s-w2 as 192.168.10.240) with the mesh's pod ranges excluded, changed by mod.
func policy(t testing.TB, mod func(*gatewaypolicy.Builder, *gatewaypolicy.GatewaySpec)) *ciliumv2.CiliumEgressGatewayPolicy {
	t.Helper()
	gw := gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w2"), EgressIP: netip.MustParseAddr("192.168.10.240")}
	b := gatewaypolicy.New("egress-sample").
		SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"org": "empire", "class": "mediabot"}}, nil).
		Destinations(pfx("192.168.20.100/32", "0.0.0.0/0")...).
		Exclude(pfx("10.240.0.0/12")...)
	mod(b, &gw)
	p, err := b.Gateway(gw).Build()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	plan := seedPlan(t)
	tests := []struct {
		name string
		mod  func(*gatewaypolicy.Builder, *gatewaypolicy.GatewaySpec)
		rule error
		msg  string // the whole message of the one violation
	}{
		{"clean", func(*gatewaypolicy.Builder, *gatewaypolicy.GatewaySpec) {}, nil, ""},
		{"egress IP in a pod range",
			func(_ *gatewaypolicy.Builder, g *gatewaypolicy.GatewaySpec) {
				g.EgressIP = netip.MustParseAddr("10.245.0.10")
			},
			ErrEgressIPInPodRange,
			`plancheck: policy "egress-sample": egress IP 10.245.0.10 of gateway 0 is inside cluster hk's pod range 10.245.0.0/16`},
		{"egress IP in the cluster's service range",
			func(_ *gatewaypolicy.Builder, g *gatewaypolicy.GatewaySpec) {
				g.EgressIP = netip.MustParseAddr("10.96.16.9")
			},
			ErrEgressIPInServiceRange,
			`plancheck: policy "egress-sample": egress IP 10.96.16.9 of gateway 0 is inside cluster hk's service range 10.96.16.0/20`},
		{"destination covering the cluster's pod range",
			func(b *gatewaypolicy.Builder, _ *gatewaypolicy.GatewaySpec) {
				*b = *gatewaypolicy.New("egress-sample").SelectPods(nil, nil).Destinations(pfx("0.0.0.0/0")...).Exclude(pfx("10.240.0.0/16")...)
			},
			ErrDestinationCoversPods,
			`plancheck: policy "egress-sample": destination CIDR 0.0.0.0/0 covers cluster hk's pod range 10.245.0.0/16 (pod traffic would leave through the gateway); exclude it`},
		{"excluded CIDR outside every destination",
			func(b *gatewaypolicy.Builder, _ *gatewaypolicy.GatewaySpec) {
				*b = *gatewaypolicy.New("egress-sample").SelectPods(nil, nil).Destinations(pfx("192.168.20.0/24")...).Exclude(pfx("192.168.30.0/24")...)
			},
			ErrExcludedOutsideDestinations,
			`plancheck: policy "egress-sample": excluded CIDR 192.168.30.0/24 is outside every destination CIDR (it has no effect)`},
		{"gateway node selector matching no node",
			func(_ *gatewaypolicy.Builder, g *gatewaypolicy.GatewaySpec) { g.NodeSelector = hostname("k8s-w9") },
			ErrGatewayMatchesNoNode,
			`plancheck: policy "egress-sample": nodeSelector kubernetes.io/hostname=k8s-w9 of gateway 0 matches no node (its endpoints' traffic is dropped)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(policy(t, tc.mod), plan, "hk", nodes)
			if tc.rule == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var v *Violation
			if !errors.Is(err, tc.rule) || !errors.As(err, &v) || v.Policy != "egress-sample" {
				t.Fatalf("err = %v, want a *Violation of %v", err, tc.rule)
			}
			if err.Error() != tc.msg {
				t.Errorf("message\n%s\nwant\n%s", err, tc.msg)
			}
		})
	}
}

func TestCheckAllAtOnce(t *testing.T) {
	plan := seedPlan(t)
	// The seed's policy as written: 0.0.0.0/0 covers both clusters' pods; with a
	// mistyped node and an egress IP inside tokyo's pods, and a useless exclusion.
	p := policy(t, func(b *gatewaypolicy.Builder, g *gatewaypolicy.GatewaySpec) {
		*b = *gatewaypolicy.New("egress-sample").SelectPods(nil, nil).Destinations(pfx("192.168.20.100/32", "0.0.0.0/0")...)
		g.NodeSelector, g.EgressIP = hostname("k8s-w-2"), netip.MustParseAddr("10.240.3.4")
	})
	p.Spec.ExcludedCIDRs = []ciliumv2.CIDR{"fd00::/8"}
	err := Check(p, plan, "hk", nodes)
	for _, w := range []string{"10.240.3.4 of gateway 0 is inside cluster tokyo's pod range", "k8s-w-2",
		"0.0.0.0/0 covers cluster hk's pod range", "0.0.0.0/0 covers cluster tokyo's pod range", "fd00::/8 is outside"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 5 {
		t.Errorf("%d violations, want 5:\n%v", n, err)
	}
	// Nodes not given: the selector rule is skipped.
	if err := Check(policy(t, func(_ *gatewaypolicy.Builder, g *gatewaypolicy.GatewaySpec) { g.NodeSelector = hostname("x") }), plan, "hk", nil); err != nil {
		t.Errorf("without nodes: %v", err)
	}
	if err := Check(p, plan, "osaka", nodes); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), `"osaka"`) {
		t.Errorf("unknown cluster: %v", err)
	}
	p.Spec.DestinationCIDRs = []ciliumv2.CIDR{"1.2.3.4/40"}
	if err := Check(p, plan, "hk", nodes); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "1.2.3.4/40") {
		t.Errorf("bad CIDR: %v", err)
	}
}
