package mesh_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// joined returns the problems of a NewPlan error.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// problem is one expected error: its sentinel and strings its message must contain.
type problem struct {
	is       error
	contains []string
}

func TestNewPlanProblems(t *testing.T) {
	pools := ipam.Pools{Pods: pfx("10.240.0.0/12"), Services: pfx("10.96.0.0/12")}
	cl := func(name string, id uint32) mesh.ClusterSpec { return mesh.ClusterSpec{Name: name, ID: id} }
	for _, tc := range []struct {
		name string
		spec mesh.Spec
		want []problem
	}{
		{"no clusters", mesh.Spec{Pools: pools}, []problem{{mesh.ErrNoClusters, nil}}},
		{"duplicate names", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{cl("tokyo", 1), cl("tokyo", 2)}},
			[]problem{{mesh.ErrDuplicateClusterName, []string{`"tokyo"`, "#1", "#2"}}}},
		{"duplicate IDs", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{cl("tokyo", 1), cl("hk", 1)}},
			[]problem{{mesh.ErrDuplicateClusterID, []string{"ID 1", `"tokyo"`, `"hk"`}}}},
		{"ID above 255", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{cl("tokyo", 256)}},
			[]problem{{mesh.ErrInvalidClusterID, []string{`"tokyo"`, "256"}}}},
		{"ID above 511", mesh.Spec{MaxConnectedClusters: 511, Pools: pools, Clusters: []mesh.ClusterSpec{cl("tokyo", 512)}},
			[]problem{{mesh.ErrInvalidClusterID, []string{`"tokyo"`, "512"}}}},
		{"maxConnectedClusters neither 255 nor 511", mesh.Spec{MaxConnectedClusters: 300, Pools: pools, Clusters: []mesh.ClusterSpec{cl("tokyo", 1)}},
			[]problem{{mesh.ErrInvalidMaxConnectedClusters, []string{"300"}}}},
		{"bad name", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{cl("Tokyo", 1)}},
			[]problem{{mesh.ErrInvalidClusterName, []string{`"Tokyo"`}}}},
		{"default name", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{cl("default", 1)}},
			[]problem{{mesh.ErrDefaultClusterName, []string{`"default"`}}}},
		{"no free ID", mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8"), Services: pfx("10.0.0.0/8")},
			Defaults: mesh.Defaults{PodCIDRPrefixLength: 24, ServiceCIDRPrefixLength: 24},
			Clusters: func() []mesh.ClusterSpec {
				var cs []mesh.ClusterSpec
				for i := range 256 {
					cs = append(cs, mesh.ClusterSpec{Name: fmt.Sprintf("c%d", i)})
				}
				return cs
			}()}, []problem{{mesh.ErrNoFreeClusterID, []string{`"c255"`, "255"}}}},
		{"pod vs pod across clusters (seed hk pods pinned twice)", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")},
			{Name: "hk", ID: 2, NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.245.128.0/17")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" pod CIDR 10.245.0.0/16`, `"hk" pod CIDR 10.245.128.0/17`}}}},
		{"pod vs node", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "hk", ID: 2, NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.13.0.0/20")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" node CIDR 10.13.0.0/16`, `"hk" pod CIDR 10.13.0.0/20`}}}},
		{"pod vs own node", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16"), PodCIDRs: pfx("10.13.0.0/16")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" node CIDR 10.13.0.0/16`, `"tokyo" pod CIDR 10.13.0.0/16`}}}},
		{"node vs node (seed VPCs collide)", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "hk", ID: 2, NodeCIDRs: pfx("10.0.0.0/12")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" node CIDR 10.13.0.0/16`, `"hk" node CIDR 10.0.0.0/12`}}}},
		{"service vs own pod", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, PodCIDRs: pfx("10.96.0.0/16"), ServiceCIDRs: pfx("10.96.0.0/20")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" pod CIDR 10.96.0.0/16`, `"tokyo" service CIDR 10.96.0.0/20`}}}},
		{"service vs another cluster's node", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "hk", ID: 2, ServiceCIDRs: pfx("10.13.0.0/20")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" node CIDR 10.13.0.0/16`, `"hk" service CIDR 10.13.0.0/20`}}}},
		{"service vs own service", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, ServiceCIDRs: pfx("10.96.0.0/16", "10.96.0.0/20")},
		}}, []problem{{mesh.ErrCIDROverlap, []string{`"tokyo" service CIDR 10.96.0.0/16`, `"tokyo" service CIDR 10.96.0.0/20`}}}},
		{"pod pool exhausted", mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.240.0.0/15"), Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{
			cl("a", 0), cl("b", 0), cl("c", 0),
		}}, []problem{{ipam.ErrPoolExhausted, []string{`"c"`, "IPv4 pod CIDR /16", "10.240.0.0/15"}}}},
		{"service pool exhausted", mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8"), Services: pfx("10.96.0.0/20")}, Clusters: []mesh.ClusterSpec{
			cl("a", 0), cl("b", 0),
		}}, []problem{{ipam.ErrPoolExhausted, []string{`"b"`, "IPv4 service CIDR /20", "10.96.0.0/20"}}}},
		{"pool smaller than maxNodes needs", mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/16"), Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{
			{Name: "big", MaxNodes: 300},
		}}, []problem{{ipam.ErrPoolExhausted, []string{`"big"`, "/15"}}}},
		{"pinned pod range too small for maxNodes", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "hk", ID: 2, PodCIDRs: pfx("10.245.0.0/16"), MaxNodes: 300},
		}}, []problem{{mesh.ErrPodCIDRTooSmall, []string{`"hk"`, "10.245.0.0/16", "256 nodes", "maxNodes is 300"}}}},
		{"maxNodes beyond the IPv4 space", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "huge", MaxNodes: 1 << 25},
		}}, []problem{{mesh.ErrPodCIDRTooSmall, []string{`"huge"`, "33554432"}}}},
		{"node mask size out of range", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", NodeMaskSize: 33},
		}}, []problem{{mesh.ErrInvalidNodeMaskSize, []string{`"tokyo"`, "33"}}}},
		{"default node mask size out of range", mesh.Spec{Pools: pools, Defaults: mesh.Defaults{NodeMaskSize: 40}, Clusters: []mesh.ClusterSpec{cl("a", 0)}},
			[]problem{{mesh.ErrInvalidNodeMaskSize, []string{"defaults.nodeMaskSize 40"}}}},
		{"node mask shorter than a pinned pod CIDR", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", PodCIDRs: pfx("10.0.0.0/24"), NodeMaskSize: 20},
		}}, []problem{{mesh.ErrInvalidNodeMaskSize, []string{`"tokyo"`, "/20", "10.0.0.0/24"}}}},
		{"node mask shorter than the default pod length", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", NodeMaskSize: 12},
		}}, []problem{{mesh.ErrInvalidNodeMaskSize, []string{`"tokyo"`, "/12", "/16"}}}},
		{"IPv6 node mask more than 16 bits past the pod CIDR", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", PodCIDRs: pfx("fd00::/64"), ServiceCIDRs: pfx("fd01::/112")},
		}}, []problem{{mesh.ErrInvalidNodeMaskSize, []string{`"tokyo"`, "/120", "fd00::/64"}}}},
		{"bad default prefix length", mesh.Spec{Pools: pools, Defaults: mesh.Defaults{ServiceCIDRPrefixLengthV6: 129}, Clusters: []mesh.ClusterSpec{cl("a", 0)}},
			[]problem{{mesh.ErrInvalidPrefixLength, []string{"serviceCIDRPrefixLengthV6 129"}}}},
		{"no pod range and no pod pool", mesh.Spec{Pools: ipam.Pools{Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{cl("tokyo", 1)}},
			[]problem{{mesh.ErrNoPodCIDR, []string{`"tokyo"`}}}},
		{"no service pool of the cluster's family", mesh.Spec{Pools: ipam.Pools{Pods: pfx("fd00::/96"), Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{cl("tokyo", 1)}},
			[]problem{{mesh.ErrNoServiceCIDR, []string{`"tokyo"`}}}},
		{"host bits set", mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.1/8"), Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", NodeCIDRs: pfx("10.13.0.1/16"), PodCIDRs: pfx("10.245.0.0/16")},
		}}, []problem{
			{ipam.ErrInvalidCIDR, []string{"pools.pods", "10.0.0.1/8", "10.0.0.0/8"}},
			{ipam.ErrInvalidCIDR, []string{`"tokyo" node CIDR`, "10.13.0.1/16"}},
		}},
		{"negative maxNodes", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo", MaxNodes: -1}}},
			[]problem{{mesh.ErrInvalidMaxNodes, []string{`"tokyo"`, "-1"}}}},
		{"every problem at once", mesh.Spec{MaxConnectedClusters: 255, Pools: ipam.Pools{Pods: pfx("10.240.0.0/16"), Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "hk", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "Bad"},
			{Name: "sg"},
		}}, []problem{
			{mesh.ErrInvalidClusterName, []string{`"Bad"`}},
			{mesh.ErrDuplicateClusterID, []string{`"tokyo" and "hk"`}},
			{mesh.ErrCIDROverlap, []string{`"tokyo" node CIDR 10.13.0.0/16`, `"hk" node CIDR 10.13.0.0/16`}},
			{ipam.ErrPoolExhausted, []string{`"hk"`}},
			{ipam.ErrPoolExhausted, []string{`"Bad"`}},
			{ipam.ErrPoolExhausted, []string{`"sg"`}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mesh.NewPlan(tc.spec, nil)
			if err == nil {
				t.Fatalf("NewPlan succeeded: %v", p.Clusters())
			}
			if p != nil {
				t.Errorf("NewPlan returned a plan with the error")
			}
			got := joined(err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !errors.Is(got[i], w.is) {
					t.Errorf("problem %d %q does not wrap %q", i, got[i], w.is)
				}
				for _, s := range w.contains {
					if !strings.Contains(got[i].Error(), s) {
						t.Errorf("problem %d %q does not name %q", i, got[i], s)
					}
				}
				if strings.Contains(got[i].Error(), "\n") {
					t.Errorf("problem %d %q spans lines", i, got[i])
				}
			}
		})
	}
}

func TestOverlapErrorParts(t *testing.T) {
	_, err := mesh.NewPlan(mesh.Spec{Pools: ipam.Pools{Services: pfx("10.96.0.0/12")}, Clusters: []mesh.ClusterSpec{
		{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")},
		{Name: "hk", ID: 2, NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")},
	}}, nil)
	var oe *mesh.OverlapError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v has no OverlapError", err)
	}
	want := mesh.OverlapError{
		Cluster: "tokyo", Kind: mesh.KindPodCIDR, Prefix: netip.MustParsePrefix("10.245.0.0/16"),
		OtherCluster: "hk", OtherKind: mesh.KindPodCIDR, OtherPrefix: netip.MustParsePrefix("10.245.0.0/16"),
		Holders: 2, HolderClusters: 2,
	}
	if *oe != want || oe.Warning() {
		t.Errorf("OverlapError %+v, want %+v (not a warning)", *oe, want)
	}
}

func TestNewPlanPreviousConflicts(t *testing.T) {
	pools := ipam.Pools{Pods: pfx("10.240.0.0/12"), Services: pfx("10.96.0.0/12")}
	prev, err := mesh.NewPlan(mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo"}, {Name: "hk"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		spec     mesh.Spec
		contains []string
	}{
		{"new ID", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo", ID: 5}}}, []string{`"tokyo"`, "ID 5", "has 1"}},
		{"new node mask size", mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo", NodeMaskSize: 25}}}, []string{`"tokyo"`, "25", "has 24"}},
		{"new maxConnectedClusters", mesh.Spec{MaxConnectedClusters: 511, Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo"}}}, []string{"511", "has 255"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mesh.NewPlan(tc.spec, &mesh.PlanOptions{Previous: prev})
			if !errors.Is(err, mesh.ErrPlanChanged) {
				t.Fatalf("err = %v, want ErrPlanChanged", err)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
	// A spec that pins other ranges for a kept cluster adds them; the kept ones stay.
	p, err := mesh.NewPlan(mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{
		{Name: "hk", PodCIDRs: pfx("10.250.0.0/16"), ServiceCIDRs: pfx("10.100.0.0/16")}}}, &mesh.PlanOptions{Previous: prev})
	if err != nil {
		t.Fatal(err)
	}
	checkCluster(t, p, want{name: "hk", id: 2, pods: []string{"10.241.0.0/16", "10.250.0.0/16"}, services: []string{"10.96.16.0/20", "10.100.0.0/16"}})
	// Dropping a cluster frees its ID and ranges for a newcomer.
	p, err = mesh.NewPlan(mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "hk"}, {Name: "sg"}}}, &mesh.PlanOptions{Previous: prev})
	if err != nil {
		t.Fatal(err)
	}
	checkCluster(t, p, want{name: "sg", id: 1, pods: []string{"10.240.0.0/16"}})
	checkCluster(t, p, want{name: "hk", id: 2, pods: []string{"10.241.0.0/16"}})
}
