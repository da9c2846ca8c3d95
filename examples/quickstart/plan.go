package main

import (
	_ "embed"
	"fmt"
	"net/netip"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// meshSpec is the seeds' mesh as a spec file (the one examples/meshplan plans).
//
//go:embed mesh.yaml
var meshSpec []byte

// planMesh parses and plans the seed mesh and prints each cluster's ranges and Helm
// values.
func planMesh(p *progress) (mesh.Spec, *mesh.Plan, error) {
	spec, err := mesh.ParseSpec(meshSpec)
	if err != nil {
		return spec, nil, fmt.Errorf("mesh.yaml: %w", err)
	}
	plan, err := mesh.NewPlan(spec, nil)
	if err != nil {
		return spec, nil, err
	}
	p.say("mesh.ParseSpec + mesh.NewPlan: %d clusters, maxConnectedClusters %d", len(plan.Clusters()), plan.MaxConnectedClusters())
	for _, c := range plan.Clusters() {
		p.say("%-6s id %d  nodes %v  pods %v  services %v  identities %d-%d",
			c.Name, c.ID, c.NodeCIDRs, c.PodCIDRs, c.ServiceCIDRs, c.Identities.First, c.Identities.Last)
	}
	for _, w := range plan.Warnings() {
		p.say("warning: %v", w)
	}
	for _, c := range plan.Clusters() {
		vals, err := plan.HelmValues(c.Name)
		if err != nil {
			return spec, nil, err
		}
		doc, err := yaml.Marshal(vals)
		if err != nil {
			return spec, nil, err
		}
		p.say("")
		p.say("Helm values of %s (plan.HelmValues; merge into helm upgrade cilium ... --reuse-values -f -):", c.Name)
		p.block(string(doc))
	}
	return spec, plan, nil
}

// hostAt returns the address n after the first of prefix (IPv4), e.g. hostAt(10.240.0.0/16,
// 124) = 10.240.0.124. It fails when the result leaves the prefix.
func hostAt(prefix netip.Prefix, n uint32) (netip.Addr, error) {
	if !prefix.Addr().Is4() {
		return netip.Addr{}, fmt.Errorf("%s is not an IPv4 range", prefix)
	}
	b := prefix.Masked().Addr().As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += n
	a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	if !prefix.Contains(a) {
		return netip.Addr{}, fmt.Errorf("host %d is outside %s", n, prefix)
	}
	return a, nil
}

// firstV4 returns the first IPv4 prefix of ps.
func firstV4(what string, c mesh.ClusterPlan, ps []netip.Prefix) (netip.Prefix, error) {
	for _, p := range ps {
		if p.Addr().Is4() {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("cluster %s has no IPv4 %s range in the plan", c.Name, what)
}
