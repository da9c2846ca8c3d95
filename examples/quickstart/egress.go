package main

import (
	"errors"
	"fmt"
	"net/netip"

	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/egress/gatewaypolicy"
	"github.com/ciliumkit/ciliumkit/egress/plancheck"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// egressCluster is the cluster of the plan the seed's egress policies are checked for.
const egressCluster = "tokyo"

// egressSample is the seed's CiliumEgressGatewayPolicy egress-sample: the mediabot pods
// of namespace default, through node k8s-w2, SNATed to egressIP, towards dst.
func egressSample(dst netip.Prefix, egressIP string) *gatewaypolicy.Builder {
	return gatewaypolicy.New("egress-sample").
		SelectPods(&slimv1.LabelSelector{MatchLabels: map[string]string{
			"org": "empire", "class": "mediabot", "io.kubernetes.pod.namespace": "default"}}, nil).
		Destinations(dst).
		Gateway(gatewaypolicy.GatewaySpec{
			NodeSelector: &slimv1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/hostname": "k8s-w2"}},
			EgressIP:     netip.MustParseAddr(egressIP),
		})
}

// egressCheck checks the seed's two versions of egress-sample, and the second one fixed,
// against the plan with plancheck.Check, and prints each verdict. pods are the spec's pod
// pools, which the fixed version excludes.
func egressCheck(p *progress, plan *mesh.Plan, pods []netip.Prefix) error {
	nodes := map[string]map[string]string{}
	for _, n := range labNodes {
		nodes[n.Name] = n.Labels
	}
	var podPools []netip.Prefix
	for _, pp := range pods {
		if pp.Addr().Is4() {
			podPools = append(podPools, pp)
		}
	}
	cases := []struct {
		what string
		b    *gatewaypolicy.Builder
	}{
		{"seed, first version: to 192.168.20.100/32 as 192.168.10.240", egressSample(netip.MustParsePrefix("192.168.20.100/32"), "192.168.10.240")},
		{"seed, second version: to 0.0.0.0/0 as 192.168.10.241", egressSample(netip.MustParsePrefix("0.0.0.0/0"), "192.168.10.241")},
		{fmt.Sprintf("second version with excludedCIDRs %v (the mesh's pod pool)", podPools),
			egressSample(netip.MustParsePrefix("0.0.0.0/0"), "192.168.10.241").Exclude(podPools...)},
	}
	p.say("plancheck.Check(policy, plan, %q, nodes k8s-s/k8s-w1/k8s-w2):", egressCluster)
	for _, c := range cases {
		pol, err := c.b.Build()
		if err != nil {
			return err
		}
		err = plancheck.Check(pol, plan, egressCluster, nodes)
		var v *plancheck.Violation
		switch {
		case err == nil:
			p.say("  %s: verdict OK (safe to apply)", c.what)
		case errors.As(err, &v):
			n := len(violations(err))
			p.say("  %s: verdict REFUSE (%d violation(s))", c.what, n)
			for _, v := range violations(err) {
				p.say("    %v", v)
			}
		default:
			return err
		}
	}
	p.say("  (Cilium's documentation lists egress gateway as incompatible with ClusterMesh: check each cluster's policies on their own)")
	return nil
}

// violations returns the *plancheck.Violation values err joins.
func violations(err error) []*plancheck.Violation {
	var out []*plancheck.Violation
	var v *plancheck.Violation
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, violations(e)...)
		}
		return out
	}
	if errors.As(err, &v) {
		out = append(out, v)
	}
	return out
}
