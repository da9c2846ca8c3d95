package mesh_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// benchSpec is a dual-stack mesh of n clusters (n <= 511) in which only names and node
// CIDRs are given: IDs, pod and service ranges in both families are all assigned.
func benchSpec(n int) mesh.Spec {
	s := mesh.Spec{
		MaxConnectedClusters: 511,
		Pools: ipam.Pools{
			Pods:     pfx("10.0.0.0/8", "fd00::/48"),
			Services: pfx("172.16.0.0/12", "fd01::/96"),
		},
		Defaults: mesh.Defaults{PodCIDRPrefixLength: 18, ServiceCIDRPrefixLength: 22},
	}
	for i := range n {
		node := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, byte(64 + i>>4), byte(i << 4), 0}), 20)
		s.Clusters = append(s.Clusters, mesh.ClusterSpec{
			Name:      fmt.Sprintf("cluster-%03d", i),
			NodeCIDRs: []netip.Prefix{node},
		})
	}
	return s
}

func BenchmarkNewPlan(b *testing.B) {
	for _, n := range []int{16, 64, 255, 511} {
		spec := benchSpec(n)
		if _, err := mesh.NewPlan(spec, nil); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("clusters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, err := mesh.NewPlan(spec, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/cluster")
		})
	}
}

// BenchmarkNewPlanGrowth plans 511 clusters on top of a previous plan of 255.
func BenchmarkNewPlanGrowth(b *testing.B) {
	prev, err := mesh.NewPlan(benchSpec(255), nil)
	if err != nil {
		b.Fatal(err)
	}
	spec := benchSpec(511)
	opts := &mesh.PlanOptions{Previous: prev}
	for b.Loop() {
		if _, err := mesh.NewPlan(spec, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlan511DualStack checks the benchmark's mesh itself: 511 clusters, all IDs used,
// dual stack everywhere, and a clean re-validation.
func TestPlan511DualStack(t *testing.T) {
	spec := benchSpec(511)
	p, err := mesh.NewPlan(spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, spec, p)
	for _, c := range p.Clusters() {
		if len(c.PodCIDRs) != 2 || len(c.ServiceCIDRs) != 2 || c.NodeMaskSize == 0 || c.NodeMaskSizeV6 == 0 {
			t.Fatalf("%s is not dual stack: %+v", c.Name, c)
		}
	}
	if c, _ := p.Cluster("cluster-510"); c.ID != 511 {
		t.Errorf("last cluster has ID %d, want 511", c.ID)
	}
	replanClean(t, p)
}
