package mesh_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func ExampleNewPlan() {
	spec := mesh.Spec{
		Pools: ipam.Pools{
			Pods:     []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")},
			Services: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")},
		},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.13.0.0/16")}},
			{Name: "hk", ID: 2, NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.14.0.0/16")},
				PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.245.0.0/16")}},
			{Name: "sg", MaxNodes: 500},
		},
	}
	plan, err := mesh.NewPlan(spec, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range plan.Clusters() {
		fmt.Printf("%s id %d pods %v services %v nodes<=%d identities %d-%d\n",
			c.Name, c.ID, c.PodCIDRs, c.ServiceCIDRs, c.Capacity.MaxNodes, c.Identities.First, c.Identities.Last)
	}
	// Output:
	// tokyo id 1 pods [10.240.0.0/16] services [10.96.0.0/20] nodes<=256 identities 65536-131071
	// hk id 2 pods [10.245.0.0/16] services [10.96.16.0/20] nodes<=256 identities 131072-196607
	// sg id 3 pods [10.242.0.0/15] services [10.96.32.0/20] nodes<=512 identities 196608-262143
}

func ExampleNewPlan_growth() {
	pools := ipam.Pools{
		Pods:     []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")},
		Services: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")},
	}
	v1, _ := mesh.NewPlan(mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo"}, {Name: "hk"}}}, nil)
	// osaka is listed first, but tokyo and hk keep what v1 gave them.
	v2, err := mesh.NewPlan(mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "osaka"}, {Name: "tokyo"}, {Name: "hk"}}},
		&mesh.PlanOptions{Previous: v1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range v2.Clusters() {
		fmt.Println(c.Name, c.ID, c.PodCIDRs)
	}
	// Output:
	// osaka 3 [10.242.0.0/16]
	// tokyo 1 [10.240.0.0/16]
	// hk 2 [10.241.0.0/16]
}

// Service ranges are optional: with pod pools only, the plan has pod ranges (and checks
// node ranges) but no service ranges, except those a cluster pins, kept as given. Service
// CIDRs may overlap across a ClusterMesh, so the distribution's default everywhere only
// warns.
func ExampleNewPlan_withoutServiceRanges() {
	plan, err := mesh.NewPlan(mesh.Spec{
		Pools: ipam.Pools{Pods: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")}},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.13.0.0/16")}},
			{Name: "hk", ID: 2, ServiceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}},
			{Name: "sg", ServiceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}},
		},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range plan.Clusters() {
		fmt.Println(c.Name, c.ID, c.PodCIDRs, c.ServiceCIDRs)
	}
	fmt.Println(plan.Warnings())
	// Output:
	// tokyo 1 [10.240.0.0/16] []
	// hk 2 [10.241.0.0/16] [10.96.0.0/12]
	// sg 3 [10.242.0.0/16] [10.96.0.0/12]
	// [mesh: service CIDRs of two clusters overlap: cluster "hk" service CIDR 10.96.0.0/12 overlaps cluster "sg" service CIDR 10.96.0.0/12]
}

// Overlaps are reported in bounded form: a range repeated in many entries is one problem
// that counts them, and past MaxReportedProblems the rest are only counted.
func ExampleOverlapError_folded() {
	var nodes []netip.Prefix
	for range 1000 {
		nodes = append(nodes, netip.MustParsePrefix("10.13.0.0/16"))
	}
	_, err := mesh.NewPlan(mesh.Spec{
		Pools:    ipam.Pools{Pods: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")}},
		Clusters: []mesh.ClusterSpec{{Name: "tokyo", NodeCIDRs: nodes}, {Name: "hk", NodeCIDRs: nodes[:2]}},
	}, nil)
	fmt.Println(err)
	var overlap *mesh.OverlapError
	if errors.As(err, &overlap) {
		fmt.Println(overlap.Holders, "entries of", overlap.HolderClusters, "clusters hold", overlap.Prefix)
	}
	// Output:
	// mesh: CIDR overlap: cluster "tokyo" node CIDR 10.13.0.0/16 overlaps cluster "tokyo" node CIDR 10.13.0.0/16 (the same range, held by 1002 entries of 2 clusters)
	// 1002 entries of 2 clusters hold 10.13.0.0/16
}

func ExampleNewPlan_problems() {
	_, err := mesh.NewPlan(mesh.Spec{
		Pools: ipam.Pools{Services: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.245.0.0/16")}},
			{Name: "hk", ID: 1, PodCIDRs: []netip.Prefix{netip.MustParsePrefix("10.245.0.0/16")}},
		},
	}, nil)
	fmt.Println(err)
	var overlap *mesh.OverlapError
	if errors.As(err, &overlap) {
		fmt.Println("overlap between", overlap.Cluster, "and", overlap.OtherCluster)
	}
	// Output:
	// mesh: duplicate cluster ID 1: clusters "tokyo" and "hk"
	// mesh: CIDR overlap: cluster "tokyo" pod CIDR 10.245.0.0/16 overlaps cluster "hk" pod CIDR 10.245.0.0/16
	// overlap between tokyo and hk
}

func ExamplePlan_HelmValues() {
	plan, _ := mesh.NewPlan(mesh.Spec{
		Pools: ipam.Pools{
			Pods:     []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12"), netip.MustParsePrefix("fd00:10:240::/56")},
			Services: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")},
		},
		Clusters: []mesh.ClusterSpec{{Name: "tokyo", ID: 1}},
	}, nil)
	vals, _ := plan.HelmValues("tokyo")
	fmt.Println(vals["cluster"])
	fmt.Println(vals["ipam"])
	fmt.Println(vals["clustermesh"], vals["ipv6"])
	// Output:
	// map[id:1 name:tokyo]
	// map[mode:cluster-pool operator:map[clusterPoolIPv4MaskSize:24 clusterPoolIPv4PodCIDRList:[10.240.0.0/16] clusterPoolIPv6MaskSize:120 clusterPoolIPv6PodCIDRList:[fd00:10:240::/104]]]
	// map[maxConnectedClusters:255] map[enabled:true]
}

func ExampleParseSpec() {
	spec, err := mesh.ParseSpec([]byte(`
pools: {pods: [10.240.0.0/12], services: [10.96.0.0/12]}
clusters:
- {name: tokyo, id: 1, nodeCIDRs: [10.13.0.0/16]}
- {name: hk, id: 2, nodeCIDRs: [10.14.0.0/16], podCIDRs: [10.245.0.0/16]}
`))
	fmt.Println(len(spec.Clusters), spec.Clusters[1].PodCIDRs, err)
	_, err = mesh.ParseSpec([]byte(`clusters: [{name: tokyo, podCIDR: 10.0.0.0/16}]`))
	fmt.Println(err)
	// Output:
	// 2 [10.245.0.0/16] <nil>
	// mesh: invalid spec: line 1 column 26: unknown field "podCIDR"
}

func ExamplePlan_Mermaid() {
	plan, _ := mesh.NewPlan(mesh.Spec{
		Pools:    ipam.Pools{Pods: []netip.Prefix{netip.MustParsePrefix("10.240.0.0/12")}, Services: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")}},
		Clusters: []mesh.ClusterSpec{{Name: "tokyo", ID: 1, NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.13.0.0/16")}}},
	}, nil)
	fmt.Print(plan.Mermaid())
	// Output:
	// flowchart LR
	//   mesh(("mesh<br/>maxConnectedClusters 255"))
	//   subgraph c1["tokyo · id 1 · identities 65536-131071"]
	//     c1n["nodes<br/>10.13.0.0/16"]
	//     c1p["pods<br/>10.240.0.0/16"]
	//     c1s["services<br/>10.96.0.0/20"]
	//   end
	//   mesh --- c1
}

func ExampleParsePlan() {
	// A plan document as meshplan -o json prints it, trimmed to what ParsePlan reads.
	prev, err := mesh.ParsePlan([]byte(`{"maxConnectedClusters": 255, "clusters": [
		{"name": "tokyo", "id": 1, "nodeCIDRs": ["10.13.0.0/16"], "podCIDRs": ["10.240.0.0/16"],
		 "serviceCIDRs": ["10.96.0.0/20"], "nodeMaskSize": {"ipv4": 24}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	spec, _ := mesh.ParseSpec([]byte(`
pools: {pods: [10.240.0.0/12], services: [10.96.0.0/12]}
clusters: [{name: hk}, {name: tokyo}]
`))
	plan, err := mesh.NewPlan(spec, &mesh.PlanOptions{Previous: prev})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range plan.Clusters() {
		fmt.Println(c.Name, c.ID, c.PodCIDRs, c.ServiceCIDRs)
	}
	// Output:
	// hk 2 [10.241.0.0/16] [10.96.16.0/20]
	// tokyo 1 [10.240.0.0/16] [10.96.0.0/20]
}
