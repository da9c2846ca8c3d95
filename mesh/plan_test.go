package mesh_test

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

func pfx(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// seedSpec is the seed mesh: tokyo id 1 in VPC 10.13.0.0/16, hk id 2 in VPC 10.14.0.0/16
// with pods in 10.245.0.0/16, and pools for the rest.
func seedSpec() mesh.Spec {
	return mesh.Spec{
		Pools: ipam.Pools{
			Pods:     pfx("10.240.0.0/12", "fd00:10:240::/56"),
			Services: pfx("10.96.0.0/12", "fd00:10:96::/96"),
		},
		Clusters: []mesh.ClusterSpec{
			{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "hk", ID: 2, NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")},
		},
	}
}

// want is the expected planning result of one cluster; empty fields are not checked.
type want struct {
	name     string
	id       uint32
	pods     []string
	services []string
	masks    [2]int
	maxNodes int
}

func checkCluster(t *testing.T, p *mesh.Plan, w want) {
	t.Helper()
	c, ok := p.Cluster(w.name)
	if !ok {
		t.Fatalf("plan has no cluster %q", w.name)
	}
	if w.id != 0 && c.ID != w.id {
		t.Errorf("%s: ID %d, want %d", w.name, c.ID, w.id)
	}
	if w.pods != nil && !slices.Equal(c.PodCIDRs, pfx(w.pods...)) {
		t.Errorf("%s: pod CIDRs %v, want %v", w.name, c.PodCIDRs, w.pods)
	}
	if w.services != nil && !slices.Equal(c.ServiceCIDRs, pfx(w.services...)) {
		t.Errorf("%s: service CIDRs %v, want %v", w.name, c.ServiceCIDRs, w.services)
	}
	if w.masks != [2]int{} && (c.NodeMaskSize != w.masks[0] || c.NodeMaskSizeV6 != w.masks[1]) {
		t.Errorf("%s: node masks %d/%d, want %v", w.name, c.NodeMaskSize, c.NodeMaskSizeV6, w.masks)
	}
	if w.maxNodes != 0 && c.Capacity.MaxNodes != w.maxNodes {
		t.Errorf("%s: max nodes %d, want %d", w.name, c.Capacity.MaxNodes, w.maxNodes)
	}
}

func TestNewPlan(t *testing.T) {
	v4 := func(pods, svcs []string) ipam.Pools { return ipam.Pools{Pods: pfx(pods...), Services: pfx(svcs...)} }
	for _, tc := range []struct {
		name string
		spec mesh.Spec
		want []want
	}{
		{"seed: tokyo and hk, dual stack", seedSpec(), []want{
			{"tokyo", 1, []string{"10.240.0.0/16", "fd00:10:240::/104"}, []string{"10.96.0.0/20", "fd00:10:96::/112"}, [2]int{24, 120}, 256},
			{"hk", 2, []string{"10.245.0.0/16", "fd00:10:240::100:0/104"}, []string{"10.96.16.0/20", "fd00:10:96::1:0/112"}, [2]int{24, 120}, 256},
		}},
		{"seed, IPv4 only", mesh.Spec{Pools: v4([]string{"10.240.0.0/12"}, []string{"10.96.0.0/12"}), Clusters: seedSpec().Clusters}, []want{
			{"tokyo", 1, []string{"10.240.0.0/16"}, []string{"10.96.0.0/20"}, [2]int{24, 0}, 256},
			{"hk", 2, []string{"10.245.0.0/16"}, []string{"10.96.16.0/20"}, [2]int{24, 0}, 256},
		}},
		{"lowest free IDs in spec order", mesh.Spec{Pools: v4([]string{"10.0.0.0/8"}, []string{"172.16.0.0/12"}), Clusters: []mesh.ClusterSpec{
			{Name: "a"}, {Name: "b", ID: 1}, {Name: "c"}, {Name: "d", ID: 3}, {Name: "e"},
		}}, []want{{name: "a", id: 2}, {name: "b", id: 1}, {name: "c", id: 4}, {name: "d", id: 3}, {name: "e", id: 5}}},
		{"assignment never touches a later cluster's pinned range", mesh.Spec{Pools: v4([]string{"10.240.0.0/12"}, []string{"10.96.0.0/12"}), Clusters: []mesh.ClusterSpec{
			{Name: "a"}, {Name: "b", PodCIDRs: pfx("10.240.0.0/16"), ServiceCIDRs: pfx("10.96.0.0/20")},
		}}, []want{{name: "a", pods: []string{"10.241.0.0/16"}, services: []string{"10.96.16.0/20"}}}},
		{"assignment skips node CIDRs inside the pool", mesh.Spec{Pools: v4([]string{"10.0.0.0/8"}, []string{"10.0.0.0/8"}), Clusters: []mesh.ClusterSpec{
			{Name: "a", NodeCIDRs: pfx("10.0.0.0/16", "10.2.0.0/16")},
		}}, []want{{name: "a", pods: []string{"10.1.0.0/16"}, services: []string{"10.3.0.0/20"}}}},
		{"next pool when the first is full", mesh.Spec{Pools: v4([]string{"10.0.0.0/16", "10.8.0.0/14"}, []string{"10.96.0.0/20", "10.97.0.0/16"}), Clusters: []mesh.ClusterSpec{
			{Name: "a"}, {Name: "b"},
		}}, []want{
			{name: "a", pods: []string{"10.0.0.0/16"}, services: []string{"10.96.0.0/20"}},
			{name: "b", pods: []string{"10.8.0.0/16"}, services: []string{"10.97.0.0/20"}},
		}},
		{"pod CIDR sized from maxNodes", mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8", "fd00::/48"), Services: pfx("172.16.0.0/12")}, Clusters: []mesh.ClusterSpec{
			{Name: "n200", MaxNodes: 200}, {Name: "n1", MaxNodes: 1}, {Name: "n257", MaxNodes: 257}, {Name: "n1000", MaxNodes: 1000, NodeMaskSize: 26, NodeMaskSizeV6: 112},
		}}, []want{
			{name: "n200", pods: []string{"10.0.0.0/16", "fd00::/112"}, maxNodes: 256},
			{name: "n1", pods: []string{"10.1.0.0/24", "fd00::1:0/120"}, maxNodes: 1},
			{name: "n257", pods: []string{"10.2.0.0/15", "fd00::2:0/111"}, maxNodes: 512},
			{name: "n1000", pods: []string{"10.4.0.0/16", "fd00::400:0/102"}, masks: [2]int{26, 112}, maxNodes: 1024},
		}},
		{"IPv6 only", mesh.Spec{Pools: ipam.Pools{Pods: pfx("fd00::/96"), Services: pfx("fd01::/108")}, Clusters: []mesh.ClusterSpec{
			{Name: "a"}, {Name: "b"},
		}}, []want{
			{"a", 1, []string{"fd00::/104"}, []string{"fd01::/112"}, [2]int{0, 120}, 65536},
			{"b", 2, []string{"fd00::100:0/104"}, []string{"fd01::1:0/112"}, [2]int{0, 120}, 65536},
		}},
		{"pinned everything, no pools", mesh.Spec{Clusters: []mesh.ClusterSpec{
			{Name: "a", ID: 7, PodCIDRs: pfx("10.0.0.0/20"), ServiceCIDRs: pfx("10.96.0.0/16"), NodeMaskSize: 26},
		}}, []want{{"a", 7, []string{"10.0.0.0/20"}, []string{"10.96.0.0/16"}, [2]int{26, 0}, 64}}},
		{"defaults resize assignments", mesh.Spec{
			Pools:    ipam.Pools{Pods: pfx("10.0.0.0/8", "fd00::/48"), Services: pfx("10.96.0.0/12", "fd01::/64")},
			Defaults: mesh.Defaults{PodCIDRPrefixLength: 18, PodCIDRPrefixLengthV6: 100, NodeMaskSize: 25, NodeMaskSizeV6: 116, ServiceCIDRPrefixLength: 24, ServiceCIDRPrefixLengthV6: 120},
			Clusters: []mesh.ClusterSpec{{Name: "a"}},
		}, []want{{"a", 1, []string{"10.0.0.0/18", "fd00::/100"}, []string{"10.96.0.0/24", "fd01::/120"}, [2]int{25, 116}, 128}}},
		{"511 clusters mode", mesh.Spec{MaxConnectedClusters: 511, Pools: v4([]string{"10.0.0.0/8"}, []string{"172.16.0.0/12"}), Clusters: []mesh.ClusterSpec{
			{Name: "edge", ID: 500}, {Name: "core"},
		}}, []want{{name: "edge", id: 500}, {name: "core", id: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mesh.NewPlan(tc.spec, nil)
			if err != nil {
				t.Fatalf("NewPlan: %v", err)
			}
			for _, w := range tc.want {
				checkCluster(t, p, w)
			}
			if got := len(p.Clusters()); got != len(tc.spec.Clusters) {
				t.Errorf("plan has %d clusters, want %d", got, len(tc.spec.Clusters))
			}
			for i, c := range p.Clusters() {
				if c.Name != tc.spec.Clusters[i].Name {
					t.Errorf("cluster %d is %q, want %q (spec order)", i, c.Name, tc.spec.Clusters[i].Name)
				}
				wantIDs, _ := mesh.Identities(c.ID, p.MaxConnectedClusters())
				if c.Identities != wantIDs {
					t.Errorf("%s: identities %+v, want %+v", c.Name, c.Identities, wantIDs)
				}
			}
			replanClean(t, p)
		})
	}
}

// replanClean checks that a plan re-validates: planning its own Spec, and planning the
// original with it as previous, give the same document.
func replanClean(t testing.TB, p *mesh.Plan) {
	t.Helper()
	want, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	again, err := mesh.NewPlan(p.Spec(), nil)
	if err != nil {
		t.Fatalf("plan does not re-validate: %v\nplan: %s", err, want)
	}
	if got, _ := again.MarshalJSON(); string(got) != string(want) {
		t.Fatalf("re-planned spec differs:\n got %s\nwant %s", got, want)
	}
	back, err := mesh.ParsePlan(want)
	if err != nil {
		t.Fatalf("ParsePlan of the plan's own JSON: %v\n%s", err, want)
	}
	if got, _ := back.MarshalJSON(); string(got) != string(want) {
		t.Fatalf("JSON round trip differs:\n got %s\nwant %s", got, want)
	}
}

func TestNewPlanGrowthKeepsAssignments(t *testing.T) {
	pools := ipam.Pools{Pods: pfx("10.240.0.0/12", "fd00::/48"), Services: pfx("10.96.0.0/12", "fd01::/96")}
	first, err := mesh.NewPlan(mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "tokyo"}, {Name: "hk"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A new cluster listed first would take ID 1 and the first ranges if nothing were kept.
	grown := mesh.Spec{Pools: pools, Clusters: []mesh.ClusterSpec{{Name: "sg"}, {Name: "tokyo"}, {Name: "hk"}}}
	fresh, err := mesh.NewPlan(grown, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := fresh.Cluster("sg"); c.ID != 1 {
		t.Fatalf("without a previous plan sg got ID %d, want 1 (test premise)", c.ID)
	}
	second, err := mesh.NewPlan(grown, &mesh.PlanOptions{Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tokyo", "hk"} {
		a, _ := first.Cluster(name)
		b, _ := second.Cluster(name)
		if a.ID != b.ID || !slices.Equal(a.PodCIDRs, b.PodCIDRs) || !slices.Equal(a.ServiceCIDRs, b.ServiceCIDRs) {
			t.Errorf("%s renumbered: %+v -> %+v", name, a, b)
		}
	}
	checkCluster(t, second, want{"sg", 3, []string{"10.242.0.0/16", "fd00::200:0/104"}, []string{"10.96.32.0/20", "fd01::2:0/112"}, [2]int{24, 120}, 256})
	replanClean(t, second)

	// Adding a pod CIDR to a kept cluster is growth too.
	more := grown
	more.Clusters = slices.Clone(grown.Clusters)
	tokyo, _ := first.Cluster("tokyo")
	more.Clusters[1].PodCIDRs = append(slices.Clone(tokyo.PodCIDRs), netip.MustParsePrefix("10.250.0.0/16"))
	third, err := mesh.NewPlan(more, &mesh.PlanOptions{Previous: second})
	if err != nil {
		t.Fatal(err)
	}
	checkCluster(t, third, want{name: "tokyo", pods: []string{"10.240.0.0/16", "fd00::/104", "10.250.0.0/16"}, maxNodes: 512})
}

func TestNewPlanWarnsOnSharedServiceCIDRs(t *testing.T) {
	spec := mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8")}, Clusters: []mesh.ClusterSpec{
		{Name: "tokyo", ServiceCIDRs: pfx("10.96.0.0/12")},
		{Name: "hk", ServiceCIDRs: pfx("10.96.0.0/16")},
	}}
	p, err := mesh.NewPlan(spec, nil)
	if err != nil {
		t.Fatalf("shared service CIDRs should only warn: %v", err)
	}
	ws := p.Warnings()
	if len(ws) != 1 {
		t.Fatalf("warnings %v, want one", ws)
	}
	var oe *mesh.OverlapError
	if !errors.As(ws[0], &oe) || !errors.Is(ws[0], mesh.ErrServiceCIDROverlap) || errors.Is(ws[0], mesh.ErrCIDROverlap) {
		t.Fatalf("warning %v is not a service OverlapError", ws[0])
	}
	if oe.Cluster != "tokyo" || oe.OtherCluster != "hk" || oe.Prefix != netip.MustParsePrefix("10.96.0.0/12") || oe.OtherPrefix != netip.MustParsePrefix("10.96.0.0/16") {
		t.Errorf("warning parts %+v", oe)
	}
	replanClean(t, p)
}

func TestCapacity(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    mesh.ClusterSpec
		max  int
		want mesh.Capacity
	}{
		{"dual stack, smaller family counts", mesh.ClusterSpec{Name: "a", PodCIDRs: pfx("10.0.0.0/16", "fd00::/112"), ServiceCIDRs: pfx("10.96.0.0/16")}, 255,
			mesh.Capacity{MaxNodesIPv4: 256, MaxNodesIPv6: 256, MaxNodes: 256, PodAddrsPerNodeIPv4: 256, PodAddrsPerNodeIPv6: 256, Identities: 65536}},
		{"dual stack, IPv4 limits", mesh.ClusterSpec{Name: "a", PodCIDRs: pfx("10.0.0.0/20", "fd00::/104"), ServiceCIDRs: pfx("10.96.0.0/16"), NodeMaskSize: 26}, 511,
			mesh.Capacity{MaxNodesIPv4: 64, MaxNodesIPv6: 65536, MaxNodes: 64, PodAddrsPerNodeIPv4: 64, PodAddrsPerNodeIPv6: 256, Identities: 32768}},
		{"two IPv4 pod CIDRs add up", mesh.ClusterSpec{Name: "a", PodCIDRs: pfx("10.0.0.0/16", "10.2.0.0/17"), ServiceCIDRs: pfx("10.96.0.0/16")}, 255,
			mesh.Capacity{MaxNodesIPv4: 384, MaxNodes: 384, PodAddrsPerNodeIPv4: 256, Identities: 65536}},
		{"IPv6 only", mesh.ClusterSpec{Name: "a", PodCIDRs: pfx("fd00::/104"), ServiceCIDRs: pfx("fd01::/112")}, 255,
			mesh.Capacity{MaxNodesIPv6: 65536, MaxNodes: 65536, PodAddrsPerNodeIPv6: 256, Identities: 65536}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mesh.NewPlan(mesh.Spec{MaxConnectedClusters: tc.max, Clusters: []mesh.ClusterSpec{tc.c}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := p.Cluster("a")
			if c.Capacity != tc.want {
				t.Errorf("capacity %+v, want %+v", c.Capacity, tc.want)
			}
		})
	}
}

func TestPlanIsImmutable(t *testing.T) {
	p, err := mesh.NewPlan(seedSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := p.MarshalJSON()
	cs := p.Clusters()
	cs[0].PodCIDRs[0] = netip.MustParsePrefix("192.0.2.0/24")
	c, _ := p.Cluster("hk")
	c.NodeCIDRs[0] = netip.MustParsePrefix("192.0.2.0/24")
	s := p.Spec()
	s.Clusters[0].ServiceCIDRs[0] = netip.MustParsePrefix("192.0.2.0/24")
	if after, _ := p.MarshalJSON(); string(after) != string(before) {
		t.Errorf("plan changed through returned values:\n%s\n%s", before, after)
	}
	if _, ok := p.Cluster("nope"); ok {
		t.Error("Cluster(nope) found a cluster")
	}
	if !strings.Contains(string(before), `"warnings":[]`) {
		t.Errorf("JSON %s lacks an empty warnings list", before)
	}
}
