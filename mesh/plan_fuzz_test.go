package mesh_test

import (
	"errors"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/ipam"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// checkPlan checks what every accepted plan must satisfy against its spec.
func checkPlan(t *testing.T, spec mesh.Spec, p *mesh.Plan) {
	t.Helper()
	cs := p.Clusters()
	if len(cs) != len(spec.Clusters) {
		t.Fatalf("plan has %d clusters, spec %d", len(cs), len(spec.Clusters))
	}
	ids := map[uint32]string{}
	type ref struct {
		cluster string
		kind    mesh.CIDRKind
		p       netip.Prefix
	}
	var refs []ref
	for i, c := range cs {
		s := spec.Clusters[i]
		if c.Name != s.Name || (s.ID != 0 && c.ID != s.ID) {
			t.Fatalf("cluster %d: %s/%d, spec pins %s/%d", i, c.Name, c.ID, s.Name, s.ID)
		}
		if err := c.Cluster.Validate(p.MaxConnectedClusters()); err != nil {
			t.Fatalf("accepted cluster fails identity rules: %v", err)
		}
		if other, dup := ids[c.ID]; dup {
			t.Fatalf("ID %d given to %s and %s", c.ID, other, c.Name)
		}
		ids[c.ID] = c.Name
		for _, pin := range s.PodCIDRs {
			if !slices.Contains(c.PodCIDRs, pin) {
				t.Fatalf("%s: pinned pod CIDR %s dropped", c.Name, pin)
			}
		}
		if len(c.PodCIDRs) == 0 || c.Capacity.MaxNodes < max(s.MaxNodes, 1) {
			t.Fatalf("%s: pods %v capacity %d for maxNodes %d", c.Name, c.PodCIDRs, c.Capacity.MaxNodes, s.MaxNodes)
		}
		// Service ranges are optional: planned only from service pools.
		if len(spec.Pools.Services) > 0 && len(c.ServiceCIDRs) == 0 {
			t.Fatalf("%s: no service CIDRs though the spec has service pools", c.Name)
		}
		if len(spec.Pools.Services) == 0 && !slices.Equal(c.ServiceCIDRs, dedupe(s.ServiceCIDRs)) {
			t.Fatalf("%s: service CIDRs %v without a service pool, spec pins %v", c.Name, c.ServiceCIDRs, s.ServiceCIDRs)
		}
		for _, k := range []struct {
			kind mesh.CIDRKind
			ps   []netip.Prefix
		}{{mesh.KindNodeCIDR, c.NodeCIDRs}, {mesh.KindPodCIDR, c.PodCIDRs}, {mesh.KindServiceCIDR, c.ServiceCIDRs}} {
			for _, pr := range k.ps {
				refs = append(refs, ref{c.Name, k.kind, pr})
			}
		}
	}
	// Overlaps are folded: one warning per range several clusters share, one per pair of
	// different ranges that overlap.
	held := map[netip.Prefix]int{}
	for i := range refs {
		for j := i + 1; j < len(refs); j++ {
			a, b := refs[i], refs[j]
			if !a.p.Overlaps(b.p) {
				continue
			}
			if a.kind != mesh.KindServiceCIDR || b.kind != mesh.KindServiceCIDR || a.cluster == b.cluster {
				t.Fatalf("accepted plan has overlapping %s %s %s and %s %s %s", a.cluster, a.kind, a.p, b.cluster, b.kind, b.p)
			}
		}
		held[refs[i].p]++
	}
	var distinct []netip.Prefix
	warned := 0
	for pr, n := range held {
		if n > 1 {
			warned++
		}
		distinct = append(distinct, pr)
	}
	for i := range distinct {
		for j := i + 1; j < len(distinct); j++ {
			if distinct[i].Overlaps(distinct[j]) {
				warned++
			}
		}
	}
	if warned > mesh.MaxReportedProblems {
		warned = mesh.MaxReportedProblems + 1
	}
	if len(p.Warnings()) != warned {
		t.Fatalf("%d warnings, want %d (service overlaps): %v", len(p.Warnings()), warned, p.Warnings())
	}
}

// dedupe returns ps without repeats, in order.
func dedupe(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// checkRejection checks that a rejected spec reports one-line problems with known causes.
func checkRejection(t *testing.T, err error) {
	t.Helper()
	known := []error{
		mesh.ErrNoClusters, mesh.ErrDuplicateClusterName, mesh.ErrDuplicateClusterID, mesh.ErrNoFreeClusterID,
		mesh.ErrCIDROverlap, mesh.ErrNoPodCIDR, mesh.ErrNoServiceCIDR, mesh.ErrPodCIDRTooSmall,
		mesh.ErrInvalidNodeMaskSize, mesh.ErrInvalidPrefixLength, mesh.ErrInvalidMaxNodes, mesh.ErrPlanChanged,
		mesh.ErrInvalidClusterName, mesh.ErrDefaultClusterName, mesh.ErrInvalidClusterID, mesh.ErrInvalidMaxConnectedClusters,
		ipam.ErrPoolExhausted, ipam.ErrInvalidCIDR,
	}
	problems := joined(err)
	if len(problems) > mesh.MaxReportedProblems+1 {
		t.Fatalf("%d problems reported, at most %d allowed", len(problems), mesh.MaxReportedProblems+1)
	}
	for i, e := range problems {
		if strings.Contains(e.Error(), "\n") {
			t.Fatalf("problem spans lines: %q", e)
		}
		var more *mesh.MoreProblemsError
		if errors.As(e, &more) {
			if i != mesh.MaxReportedProblems || more.Count < 1 || len(more.Sentinels) == 0 {
				t.Fatalf("problem %d is %#v", i, more)
			}
		}
		if !slices.ContainsFunc(known, func(k error) bool { return errors.Is(e, k) }) {
			t.Fatalf("problem %q wraps no known sentinel", e)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(seedYAML))
	f.Add([]byte(seedJSON))
	if b, err := os.ReadFile("../examples/meshplan/testdata/seed.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("maxConnectedClusters: 511\npools: {pods: ['fd00::/96'], services: ['fd01::/100']}\nclusters: [{name: a}, {name: b, maxNodes: 3}]"))
	f.Add([]byte("clusters: [{name: a, podCIDRs: [10.0.0.0/16], serviceCIDRs: [10.0.0.0/20]}]"))
	f.Add([]byte("clusters: [{name: default, id: 1}]"))
	f.Add([]byte(`{"clusters":[{"name":"x","nodeMaskSize":33}]}`))
	f.Add([]byte("pools: {pods: [10.0.0.0/30], services: [10.1.0.0/30]}\ndefaults: {podCIDRPrefixLength: 31, nodeMaskSize: 32, serviceCIDRPrefixLength: 32}\nclusters: [{name: a}, {name: b}, {name: c}]"))
	f.Add([]byte("clusters:\n- name: zeta\n  NAME: alpha\n- Name: hk\n---\nclusters: []\n"))
	f.Add([]byte("clusters:\n- &a {name: tokyo}\n- <<: *a\n  nodeMaskSize: 25\n- {<<: [{maxNodes: 3}], name: hk}\n"))
	f.Add([]byte("pools: {pods: [10.0.0.0/8]}\nclusters: [{name: a, nodeCIDRs: [10.1.0.0/16, 10.1.0.0/16, 10.1.2.0/24]}, {name: b, nodeCIDRs: [10.1.0.0/16]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := mesh.ParseSpec(data)
		if err != nil {
			if !errors.Is(err, mesh.ErrInvalidSpec) {
				t.Fatalf("ParseSpec error %v does not wrap ErrInvalidSpec", err)
			}
			if n := len(err.Error()); n > 64<<10 {
				t.Fatalf("ParseSpec error has %d bytes", n)
			}
			return
		}
		plan, err := mesh.NewPlan(spec, nil)
		if err != nil {
			checkRejection(t, err)
			return
		}
		checkPlan(t, spec, plan)
		replanClean(t, plan)
		grown, err := mesh.NewPlan(spec, &mesh.PlanOptions{Previous: plan})
		if err != nil {
			t.Fatalf("planning a spec again on its own plan failed: %v", err)
		}
		if a, b := must(plan.MarshalJSON()), must(grown.MarshalJSON()); string(a) != string(b) {
			t.Fatalf("planning on the previous plan changed it:\n%s\n%s", a, b)
		}
	})
}

// specFromBytes builds a small spec from fuzz input, in a small address space so that
// overlaps, exhaustion and ID collisions are common.
func specFromBytes(b []byte) mesh.Spec {
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	v4 := func(c byte) netip.Prefix {
		bits := 14 + int(c%11)
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, next() % 32, next(), 0}), bits).Masked()
	}
	v6 := func(c byte) netip.Prefix {
		bits := 100 + int(c%21)
		a := [16]byte{0: 0xfd, 13: next() % 4, 14: next()}
		return netip.PrefixFrom(netip.AddrFrom16(a), bits).Masked()
	}
	flags := next()
	s := mesh.Spec{}
	if flags&1 != 0 {
		s.MaxConnectedClusters = 511
	}
	if flags&2 != 0 {
		s.Pools.Pods = append(s.Pools.Pods, netip.MustParsePrefix("10.0.0.0/12"))
	}
	if flags&4 != 0 {
		s.Pools.Pods = append(s.Pools.Pods, netip.MustParsePrefix("fd00::/96"))
	}
	if flags&8 != 0 {
		s.Pools.Services = append(s.Pools.Services, netip.MustParsePrefix("10.16.0.0/14"))
	}
	if flags&16 != 0 {
		s.Pools.Services = append(s.Pools.Services, netip.MustParsePrefix("fd01::/104"))
	}
	if flags&32 != 0 {
		s.Defaults = mesh.Defaults{PodCIDRPrefixLength: 18, NodeMaskSize: 26, PodCIDRPrefixLengthV6: 108, NodeMaskSizeV6: 122}
	}
	n := int(next() % 12)
	for i := range n {
		c := mesh.ClusterSpec{Name: string(rune('a' + i))}
		op := next()
		if op&1 != 0 {
			c.ID = uint32(next() % 16)
		}
		if op&2 != 0 {
			c.NodeCIDRs = append(c.NodeCIDRs, v4(next()))
		}
		if op&4 != 0 {
			c.PodCIDRs = append(c.PodCIDRs, v4(next()))
		}
		if op&8 != 0 {
			c.PodCIDRs = append(c.PodCIDRs, v6(next()))
		}
		if op&16 != 0 {
			c.ServiceCIDRs = append(c.ServiceCIDRs, v4(next()))
		}
		if op&32 != 0 {
			c.MaxNodes = int(next()) * 4
		}
		if op&64 != 0 {
			c.NodeMaskSize = 16 + int(next()%17)
		}
		if op&128 != 0 {
			c.Name = "a" // a duplicate now and then
		}
		s.Clusters = append(s.Clusters, c)
	}
	return s
}

func FuzzNewPlan(f *testing.F) {
	f.Add([]byte{0x1e, 3, 0, 0, 0})
	f.Add([]byte{0x3e, 5, 0x05, 2, 1, 0, 0, 0, 0x24, 1, 2, 3, 40, 0x41, 9, 0x06, 3, 3, 3, 3, 3, 3})
	f.Add([]byte{0x1f, 8, 1, 1, 1, 2, 1, 3, 0x21, 200, 0x22, 7, 1, 1, 0x0c, 9, 9, 9, 9, 9, 9})
	f.Add([]byte{0x02, 2, 0x10, 1, 2, 3, 0x10, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		spec := specFromBytes(data)
		plan, err := mesh.NewPlan(spec, nil)
		if err != nil {
			checkRejection(t, err)
			return
		}
		checkPlan(t, spec, plan)
		replanClean(t, plan)
	})
}
