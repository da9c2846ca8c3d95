package mesh_test

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh"
)

func TestSpecBuilder(t *testing.T) {
	b := mesh.NewSpecBuilder().
		PodPools(pfx("10.240.0.0/12", "fd00:10:240::/56")...).
		ServicePools(pfx("10.96.0.0/12", "fd00:10:96::/96")...).
		Cluster(mesh.ClusterSpec{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")}).
		Cluster(mesh.ClusterSpec{Name: "hk", ID: 2, NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")})
	p, err := b.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mesh.NewPlan(seedSpec(), nil)
	if string(must(p.MarshalJSON())) != string(must(want.MarshalJSON())) {
		t.Errorf("builder plans differently from the struct literal:\n%s", must(p.MarshalJSON()))
	}
	// Spec is a copy; the builder keeps growing.
	s := b.Spec()
	s.Clusters[0].NodeCIDRs[0] = netip.MustParsePrefix("192.0.2.0/24")
	s.Pools.Pods[0] = netip.MustParsePrefix("192.0.2.0/24")
	b.MaxConnectedClusters(511).Defaults(mesh.Defaults{NodeMaskSize: 26}).Cluster(mesh.ClusterSpec{Name: "sg"})
	s2 := b.Spec()
	if !slices.Equal(s2.Clusters[0].NodeCIDRs, pfx("10.13.0.0/16")) || s2.Pools.Pods[0] != netip.MustParsePrefix("10.240.0.0/12") {
		t.Errorf("changing a returned spec changed the builder: %+v", s2)
	}
	if len(s2.Clusters) != 3 || s2.MaxConnectedClusters != 511 || s2.Defaults.NodeMaskSize != 26 {
		t.Errorf("builder spec %+v", s2)
	}
}

func ExampleSpecBuilder() {
	b := mesh.NewSpecBuilder().
		PodPools(netip.MustParsePrefix("10.240.0.0/12")).
		ServicePools(netip.MustParsePrefix("10.96.0.0/12"))
	for _, name := range []string{"tokyo", "hk", "sg"} {
		b.Cluster(mesh.ClusterSpec{Name: name})
	}
	plan, err := b.Plan(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range plan.Clusters() {
		fmt.Println(c.Name, c.ID, c.PodCIDRs, c.ServiceCIDRs)
	}
	// Output:
	// tokyo 1 [10.240.0.0/16] [10.96.0.0/20]
	// hk 2 [10.241.0.0/16] [10.96.16.0/20]
	// sg 3 [10.242.0.0/16] [10.96.32.0/20]
}
