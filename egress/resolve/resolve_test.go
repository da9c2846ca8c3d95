package resolve

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/egress"
	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
)

const (
	w1, w2, w3 = "192.168.10.11", "192.168.10.21", "192.168.10.22"
)

var w3Gateway = gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w3"), EgressIP: netip.MustParseAddr("192.168.10.241")}

// uidOn returns a UID that Cilium assigns to the gateway at index want of two.
func uidOn(want uint32) string {
	for i := 0; ; i++ {
		uid := fmt.Sprintf("uid-%d", i)
		gws := []egress.Gateway{{IP: netip.MustParseAddr(w2)}, {IP: netip.MustParseAddr(w3)}}
		if g, _ := egress.SelectGateway(uid, gws); g == gws[want] {
			return uid
		}
	}
}

func baseState() *State {
	return &State{
		Nodes: []*corev1.Node{node("k8s-w1", w1, true), node("k8s-w2", w2, true, "egress=true"), node("k8s-w3", w3, true, "egress=true")},
		Endpoints: []*ciliumv2.CiliumEndpoint{
			cep("default", "net-pod", uidOn(0), "10.245.1.7", w1, "org=empire", "class=mediabot"),
			cep("default", "xwing", "uid-x", "10.245.1.8", w1, "org=alliance", "class=xwing"),
			cep("other", "mediabot", "uid-o", "10.245.1.9", w1, "org=empire", "class=mediabot"),
			cep("default", "no-identity", "uid-n", "10.245.1.10", w1),
		},
	}
}

func TestResolve(t *testing.T) {
	now := time.Now()
	ns := "cik-egress"
	tests := []struct {
		name  string
		mod   func(*State)
		opts  *Options
		want  []string // entries
		gws   []string // "node up|down reason-substring"
		err   error
		errIn string
	}{
		{name: "seed policy", mod: func(s *State) {},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240", "10.245.1.7 -> 0.0.0.0/0 via 192.168.10.21 as 192.168.10.240"},
			gws:  []string{"k8s-w2 up"}},
		{name: "only gateway not ready: dropped", mod: func(s *State) { s.Nodes[1] = node("k8s-w2", w2, false) },
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 0.0.0.0 as 0.0.0.0", "10.245.1.7 -> 0.0.0.0/0 via 0.0.0.0 as 0.0.0.0"},
			gws:  []string{"k8s-w2 down Ready=False"}},
		{name: "no node matches: dropped", mod: func(s *State) { s.Nodes = s.Nodes[:1] },
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 0.0.0.0 as 0.0.0.0", "10.245.1.7 -> 0.0.0.0/0 via 0.0.0.0 as 0.0.0.0"},
			gws:  []string{" down no node"}},
		{name: "two gateways", mod: func(s *State) { s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{seedPolicy(w3Gateway)} },
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240", "10.245.1.7 -> 0.0.0.0/0 via 192.168.10.21 as 192.168.10.240"},
			gws:  []string{"k8s-w2 up", "k8s-w3 up"}},
		{name: "two gateways, the endpoint's not ready: fails over", mod: func(s *State) {
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{seedPolicy(w3Gateway)}
			s.Nodes[1] = node("k8s-w2", w2, false)
		},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.22 as 192.168.10.241", "10.245.1.7 -> 0.0.0.0/0 via 192.168.10.22 as 192.168.10.241"},
			gws:  []string{"k8s-w2 down Ready=False", "k8s-w3 up"}},
		{name: "two gateways, the other one not ready: stays", mod: func(s *State) {
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{seedPolicy(w3Gateway)}
			s.Nodes[2] = node("k8s-w3", w3, false)
		},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240", "10.245.1.7 -> 0.0.0.0/0 via 192.168.10.21 as 192.168.10.240"},
			gws:  []string{"k8s-w2 up", "k8s-w3 down"}},
		{name: "selector matching several nodes takes the first up by name", mod: func(s *State) {
			p := must(gatewaypolicy.New("egress-sample").SelectPods(mediabot, nil).Destinations(extHost).
				Gateway(gatewaypolicy.GatewaySpec{NodeSelector: &slimv1.LabelSelector{MatchLabels: map[string]string{"egress": "true"}},
					EgressIP: netip.MustParseAddr("192.168.10.240")}).Build())
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{p}
			s.Nodes[1] = node("k8s-w2", w2, false, "egress=true")
		},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.22 as 192.168.10.240"},
			gws:  []string{"k8s-w3 up"}},
		{name: "fresh lease", opts: &Options{LeaseNamespace: ns},
			mod:  func(s *State) { s.Leases = append(s.Leases, lease(ns, "k8s-w2", now.Add(-time.Second), 5*time.Second)) },
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240", "10.245.1.7 -> 0.0.0.0/0 via 192.168.10.21 as 192.168.10.240"},
			gws:  []string{"k8s-w2 up"}},
		{name: "expired lease", opts: &Options{LeaseNamespace: ns},
			mod: func(s *State) {
				s.Leases = append(s.Leases, lease(ns, "k8s-w2", now.Add(-6*time.Second), 5*time.Second))
			},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 0.0.0.0 as 0.0.0.0", "10.245.1.7 -> 0.0.0.0/0 via 0.0.0.0 as 0.0.0.0"},
			gws:  []string{"k8s-w2 down expired 1s ago"}},
		{name: "no lease", opts: &Options{LeaseNamespace: ns}, mod: func(s *State) {},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 0.0.0.0 as 0.0.0.0", "10.245.1.7 -> 0.0.0.0/0 via 0.0.0.0 as 0.0.0.0"},
			gws:  []string{"k8s-w2 down no agent Lease cik-egress/k8s-w2"}},
		{name: "interface gateway is down", mod: func(s *State) {
			p := must(gatewaypolicy.New("egress-sample").SelectPods(mediabot, nil).Destinations(extHost).
				Gateway(gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w2"), Interface: "eth1"}).Build())
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{p}
		},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 0.0.0.0 as 0.0.0.0"},
			gws:  []string{"k8s-w2 down no egressIP (interface \"eth1\")"}},
		{name: "namespace selector", mod: func(s *State) {
			p := must(gatewaypolicy.New("egress-sample").
				SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"class": "mediabot"}},
					&slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "other"}}).
				Destinations(netip.MustParsePrefix("192.168.20.0/24")).Exclude(netip.MustParsePrefix("192.168.20.100/32")).
				Gateway(gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w2"), EgressIP: netip.MustParseAddr("192.168.10.240")}).Build())
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{p}
		},
			want: []string{"10.245.1.9 -> 192.168.20.0/24 via 192.168.10.21 as 192.168.10.240", "10.245.1.9 -> 192.168.20.100/32 via 0.0.0.1 as 0.0.0.0"},
			gws:  []string{"k8s-w2 up"}},
		{name: "an excluded CIDR equal to a destination wins", mod: func(s *State) {
			s.Policies[0].Spec.ExcludedCIDRs = []ciliumv2.CIDR{"192.168.20.100/32"}
		},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 0.0.0.1 as 0.0.0.0", "10.245.1.7 -> 0.0.0.0/0 via 192.168.10.21 as 192.168.10.240"},
			gws:  []string{"k8s-w2 up"}},
		{name: "empty namespace selector selects every namespace", mod: func(s *State) {
			p := must(gatewaypolicy.New("egress-sample").
				SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{"class": "mediabot"}}, &slimv1.LabelSelector{}).
				Destinations(extHost).
				Gateway(gatewaypolicy.GatewaySpec{NodeSelector: hostname("k8s-w2"), EgressIP: netip.MustParseAddr("192.168.10.240")}).Build())
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{p}
		},
			want: []string{"10.245.1.7 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240", "10.245.1.9 -> 192.168.20.100/32 via 192.168.10.21 as 192.168.10.240"},
			gws:  []string{"k8s-w2 up"}},
		{name: "selector nodeSelector restricts endpoints to its nodes", mod: func(s *State) {
			s.Policies[0].Spec.Selectors[0].NodeSelector = hostname("k8s-w3")
		}, gws: []string{"k8s-w2 up"}},
		{name: "invalid CIDR", mod: func(s *State) { s.Policies[0].Spec.DestinationCIDRs = []ciliumv2.CIDR{"300.0.0.0/8"} },
			gws: nil, err: ErrInvalidPolicy, errIn: `"egress-sample": destination CIDR "300.0.0.0/8"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := baseState()
			s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{seedPolicy()}
			tc.mod(s)
			res := Resolve(s, now, tc.opts)
			var got []string
			for _, e := range res.Entries {
				got = append(got, e.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(res.Policies) != 1 {
				t.Fatalf("policies %+v", res.Policies)
			}
			p := res.Policies[0]
			if !errors.Is(p.Err, tc.err) || tc.err == nil && p.Err != nil || !strings.Contains(fmt.Sprint(p.Err), tc.errIn) {
				t.Errorf("policy error %v, want %v containing %q", p.Err, tc.err, tc.errIn)
			}
			if len(p.Gateways) != len(tc.gws) {
				t.Fatalf("gateways %+v, want %v", p.Gateways, tc.gws)
			}
			for i, g := range p.Gateways {
				node, rest, _ := strings.Cut(tc.gws[i], " ")
				state, reason, _ := strings.Cut(rest, " ")
				if g.Node != node || g.Down != (state == "down") || !strings.Contains(g.Reason, reason) {
					t.Errorf("gateway %d = %+v, want %q", i, g, tc.gws[i])
				}
			}
		})
	}
}

func TestResolveConflicts(t *testing.T) {
	s := baseState()
	a, b := seedPolicy(), seedPolicy()
	b.Name = "a-first"
	s.Policies = []*ciliumv2.CiliumEgressGatewayPolicy{a, b}
	res := Resolve(s, time.Now(), nil)
	if len(res.Entries) != 2 || len(res.Policies) != 2 || res.Policies[0].Name != "a-first" {
		t.Fatalf("result %+v", res)
	}
	if res.Policies[0].Err != nil || !errors.Is(res.Policies[1].Err, ErrConflict) ||
		!strings.Contains(res.Policies[1].Err.Error(), `already set by policy "a-first"`) {
		t.Errorf("errors %v / %v", res.Policies[0].Err, res.Policies[1].Err)
	}
	if ep := res.Policies[0].Endpoints; len(ep) != 1 || ep[0].Name != "net-pod" || ep[0].Gateway != netip.MustParseAddr(w2) {
		t.Errorf("endpoints %+v", ep)
	}
}

func must(p *ciliumv2.CiliumEgressGatewayPolicy, err error) *ciliumv2.CiliumEgressGatewayPolicy {
	if err != nil {
		panic(err)
	}
	return p
}

func TestSelectorSourcePrefixes(t *testing.T) {
	// Cilium reads "k8s:" and "any:" source prefixes in selector keys.
	sel, err := selectorOf(&slimv1.LabelSelector{MatchLabels: map[string]string{"k8s:class": "mediabot", "any:org": "empire"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(slimlabels.Set{"class": "mediabot", "org": "empire"}) || sel.Matches(slimlabels.Set{"class": "mediabot"}) {
		t.Errorf("selector %v", sel)
	}
}
