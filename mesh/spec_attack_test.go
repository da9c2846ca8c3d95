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

// The spec attacks of issue 16. Each must give a clear error of bounded size; their
// time and memory are measured by the BenchmarkParseSpecAttack* and
// BenchmarkNewPlanOverlapAttack benchmarks (targets: under 1 s and 100 MB each).

// repeatedNodeCIDRs is a spec of about size bytes that repeats one node CIDR: in one
// cluster (clusters false) or in one cluster each (clusters true).
func repeatedNodeCIDRs(size int, clusters bool) []byte {
	var b strings.Builder
	b.WriteString("pools: {pods: [10.240.0.0/12]}\nclusters:\n")
	if !clusters {
		b.WriteString("- name: a\n  nodeCIDRs:\n")
	}
	for i := 0; b.Len() < size; i++ {
		if clusters {
			fmt.Fprintf(&b, "- {name: c%d, nodeCIDRs: [10.13.0.0/16]}\n", i)
		} else {
			b.WriteString("  - 10.13.0.0/16\n")
		}
	}
	return []byte(b.String())
}

// nestedNodeCIDRs is a spec of about size bytes whose node CIDRs all nest: a chain of
// fd00::/16 to fd00::/64 and many /128s inside it, each overlapping the whole chain.
func nestedNodeCIDRs(size int) []byte {
	var b strings.Builder
	b.WriteString("pools: {pods: [10.240.0.0/12]}\nclusters:\n- name: a\n  nodeCIDRs:\n")
	for bits := 16; bits <= 64; bits++ {
		fmt.Fprintf(&b, "  - fd00::/%d\n", bits)
	}
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  - fd00::%x:%x/128\n", i>>16, i&0xffff)
	}
	return []byte(b.String())
}

// checkBounded checks that err is a clear, bounded report: it wraps want, is under
// 64 KiB and has at most MaxReportedProblems+1 lines.
func checkBounded(t *testing.T, err error, want error, mentions string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %.500v does not wrap %v", err, want)
	}
	msg := err.Error()
	if len(msg) >= 64<<10 {
		t.Errorf("error text has %d bytes, want < 64 KiB", len(msg))
	}
	if n := strings.Count(msg, "\n") + 1; n > mesh.MaxReportedProblems+1 {
		t.Errorf("error text has %d lines, want at most %d", n, mesh.MaxReportedProblems+1)
	}
	if !strings.Contains(msg, mentions) {
		t.Errorf("error %.2000q does not mention %q", msg, mentions)
	}
}

func TestSpecAttackRepeatedNodeCIDRs(t *testing.T) {
	for _, clusters := range []bool{false, true} {
		t.Run(fmt.Sprintf("clusters=%v", clusters), func(t *testing.T) {
			spec, err := mesh.ParseSpec(repeatedNodeCIDRs(57<<10, clusters))
			if err != nil {
				t.Fatal(err)
			}
			_, err = mesh.NewPlan(spec, nil)
			checkBounded(t, err, mesh.ErrCIDROverlap, "(the same range, held by ")
			var oe *mesh.OverlapError
			if !errors.As(err, &oe) || oe.Holders < 1000 || oe.Prefix != oe.OtherPrefix {
				t.Fatalf("OverlapError %+v, want one folded over the repeats", oe)
			}
			overlaps := 0
			for _, e := range joined(err) {
				if errors.As(e, new(*mesh.OverlapError)) {
					overlaps++
				}
			}
			if overlaps != 1 {
				t.Errorf("%d overlap problems, want 1 for one repeated range", overlaps)
			}
			if clusters && (oe.HolderClusters != oe.Holders || !errors.Is(err, mesh.ErrNoFreeClusterID)) {
				t.Errorf("holders %d in %d clusters; no ErrNoFreeClusterID in %.300v", oe.Holders, oe.HolderClusters, err)
			}
		})
	}
}

func TestSpecAttackNestedRanges(t *testing.T) {
	spec, err := mesh.ParseSpec(nestedNodeCIDRs(57 << 10))
	if err != nil {
		t.Fatal(err)
	}
	_, err = mesh.NewPlan(spec, nil)
	checkBounded(t, err, mesh.ErrCIDROverlap, "more problems not reported")
	ps := joined(err)
	if len(ps) != mesh.MaxReportedProblems+1 {
		t.Fatalf("%d problems, want %d", len(ps), mesh.MaxReportedProblems+1)
	}
	var more *mesh.MoreProblemsError
	if !errors.As(ps[len(ps)-1], &more) || more.Count < 1000 {
		t.Fatalf("last problem %v is not a count of the rest", ps[len(ps)-1])
	}
	// The 49 prefixes of the chain overlap each other and every /128.
	if want := 49*(len(spec.Clusters[0].NodeCIDRs)-49) + 49*48/2; mesh.MaxReportedProblems+more.Count != want {
		t.Errorf("%d overlaps counted, want %d", mesh.MaxReportedProblems+more.Count, want)
	}
}

func TestSpecAttackUnboundedInput(t *testing.T) {
	// What /dev/zero gives, as far as a reader capped at MaxSpecSize+1 reads it.
	zeros := make([]byte, mesh.MaxSpecSize+1)
	_, err := mesh.ParseSpec(zeros)
	checkBounded(t, err, mesh.ErrInvalidSpec, fmt.Sprintf("larger than %d bytes", mesh.MaxSpecSize))
	_, err = mesh.ParsePlan(zeros)
	checkBounded(t, err, mesh.ErrInvalidPlan, fmt.Sprintf("larger than %d bytes", mesh.MaxSpecSize))
	// Exactly at the limit is parsed (and fails as YAML, not for its size).
	_, err = mesh.ParseSpec(zeros[:mesh.MaxSpecSize])
	if err == nil || strings.Contains(err.Error(), "larger than") {
		t.Fatalf("ParseSpec of MaxSpecSize zero bytes = %v", err)
	}
	checkBounded(t, err, mesh.ErrInvalidSpec, "mesh: invalid spec")
}

func TestSpecAttackHugeName(t *testing.T) {
	huge := strings.Repeat("n", 50<<20)
	under := mesh.MaxSpecSize - 1024 // a name that fits in a spec file
	// In a file: refused for its size before parsing.
	_, err := mesh.ParseSpec([]byte("clusters: [{name: " + huge + "}]"))
	checkBounded(t, err, mesh.ErrInvalidSpec, "larger than")
	// Under the size limit, and in a Go spec: the name is quoted cut.
	for _, name := range []string{huge[:under], huge} {
		_, err := mesh.NewPlan(mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8")}, Clusters: []mesh.ClusterSpec{
			{Name: name, NodeCIDRs: pfx("10.13.0.0/16", "10.13.0.0/16"), NodeMaskSize: 40},
			{Name: name, PodCIDRs: pfx("10.13.0.0/16")},
		}}, nil)
		checkBounded(t, err, mesh.ErrInvalidClusterName, fmt.Sprintf(`"%s"…(%d bytes)`, name[:mesh.MaxQuotedNameLen], len(name)))
		if !errors.Is(err, mesh.ErrDuplicateClusterName) || !errors.Is(err, mesh.ErrCIDROverlap) || !errors.Is(err, mesh.ErrInvalidNodeMaskSize) {
			t.Errorf("problems missing from %v", err)
		}
		if len(err.Error()) > 4<<10 {
			t.Errorf("error text has %d bytes for a %d byte name", len(err.Error()), len(name))
		}
	}
	doc := "pools: {pods: [10.240.0.0/12]}\nclusters: [{name: " + huge[:under] + "}]"
	spec, err := mesh.ParseSpec([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = mesh.NewPlan(spec, nil)
	checkBounded(t, err, mesh.ErrInvalidClusterName, fmt.Sprintf("…(%d bytes)", under))
	// Long keys and values in a spec file are cut as well.
	_, err = mesh.ParseSpec([]byte("clusters: [{" + huge[:1000] + ": 1}]")) // YAML keys end at 1024 bytes
	checkBounded(t, err, mesh.ErrInvalidSpec, "…(1000 bytes)")
	_, err = mesh.ParseSpec([]byte("clusters:\n- ? " + huge[:under] + "\n  : 1\n"))
	checkBounded(t, err, mesh.ErrInvalidSpec, fmt.Sprintf("…(%d bytes)", under))
	_, err = mesh.ParseSpec([]byte("clusters: [{name: a, nodeCIDRs: [" + huge[:under] + "]}]"))
	checkBounded(t, err, mesh.ErrInvalidSpec, "bytes)")
	p, err := mesh.NewPlan(mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8")}, Clusters: []mesh.ClusterSpec{{Name: "a"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.HelmValues(huge)
	checkBounded(t, err, mesh.ErrClusterNotPlanned, "bytes)")
}

// TestProblemCap checks the cap on reported problems: the first MaxReportedProblems in
// spec order, then one MoreProblemsError that still lets errors.Is find every kind.
func TestProblemCap(t *testing.T) {
	spec := mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8")}}
	for i := range 300 {
		spec.Clusters = append(spec.Clusters, mesh.ClusterSpec{Name: fmt.Sprintf("Bad%d", i), ID: 1})
	}
	spec.Clusters = append(spec.Clusters, mesh.ClusterSpec{Name: "ok", NodeCIDRs: pfx("10.0.0.0/8")})
	_, err := mesh.NewPlan(spec, nil)
	ps := joined(err)
	if len(ps) != mesh.MaxReportedProblems+1 {
		t.Fatalf("%d problems, want %d", len(ps), mesh.MaxReportedProblems+1)
	}
	if !strings.Contains(ps[0].Error(), `"Bad0"`) || !errors.Is(ps[0], mesh.ErrInvalidClusterName) {
		t.Errorf("first problem %v", ps[0])
	}
	var more *mesh.MoreProblemsError
	if !errors.As(err, &more) {
		t.Fatalf("no MoreProblemsError in %v", err)
	}
	// 300 bad names, 299 duplicate IDs, the pod pool overlapping ok's node CIDR.
	if got := mesh.MaxReportedProblems + more.Count; got < 300+299+1 {
		t.Errorf("%d problems counted, want at least 600", got)
	}
	for _, s := range []error{mesh.ErrInvalidClusterName, mesh.ErrDuplicateClusterID, ipam.ErrPoolExhausted} {
		if !errors.Is(err, s) {
			t.Errorf("errors.Is(err, %v) = false", s)
		}
	}
	if want := fmt.Sprintf("mesh: %d more problems not reported", more.Count); more.Error() != want {
		t.Errorf("%q, want %q", more.Error(), want)
	}
}

// TestOverlapFolding checks the bounded form of overlaps: one problem per range held
// several times, one per pair of different ranges, service overlaps as warnings.
func TestOverlapFolding(t *testing.T) {
	pods := ipam.Pools{Pods: pfx("10.240.0.0/12")}
	t.Run("errors", func(t *testing.T) {
		_, err := mesh.NewPlan(mesh.Spec{Pools: pods, Clusters: []mesh.ClusterSpec{
			{Name: "a", NodeCIDRs: pfx("10.13.0.0/16", "10.13.0.0/16", "10.13.5.0/24")},
			{Name: "b", NodeCIDRs: pfx("10.13.0.0/16")},
			{Name: "c", PodCIDRs: pfx("10.13.5.0/24")},
		}}, nil)
		want := []string{
			`mesh: CIDR overlap: cluster "a" node CIDR 10.13.0.0/16 overlaps cluster "a" node CIDR 10.13.0.0/16 (the same range, held by 3 entries of 2 clusters)`,
			`mesh: CIDR overlap: cluster "a" node CIDR 10.13.0.0/16 overlaps cluster "a" node CIDR 10.13.5.0/24`,
			`mesh: CIDR overlap: cluster "a" node CIDR 10.13.5.0/24 overlaps cluster "c" pod CIDR 10.13.5.0/24`,
		}
		if got := err.Error(); got != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
		}
		var oe *mesh.OverlapError
		if !errors.As(err, &oe) || oe.Holders != 3 || oe.HolderClusters != 2 {
			t.Errorf("first OverlapError %+v", oe)
		}
	})
	t.Run("a default service range everywhere warns once", func(t *testing.T) {
		spec := mesh.Spec{Pools: ipam.Pools{Pods: pfx("100.64.0.0/10")}, Defaults: mesh.Defaults{PodCIDRPrefixLength: 20}}
		for i := range 200 {
			spec.Clusters = append(spec.Clusters, mesh.ClusterSpec{Name: fmt.Sprintf("c%d", i), ServiceCIDRs: pfx("10.96.0.0/12")})
		}
		spec.Clusters[199].ServiceCIDRs = pfx("10.96.0.0/16")
		p, err := mesh.NewPlan(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws := p.Warnings()
		want := []string{
			`mesh: service CIDRs of two clusters overlap: cluster "c0" service CIDR 10.96.0.0/12 overlaps cluster "c1" service CIDR 10.96.0.0/12 (the same range, held by 199 entries of 199 clusters)`,
			`mesh: service CIDRs of two clusters overlap: cluster "c0" service CIDR 10.96.0.0/12 overlaps cluster "c199" service CIDR 10.96.0.0/16`,
		}
		if len(ws) != 2 || ws[0].Error() != want[0] || ws[1].Error() != want[1] {
			t.Fatalf("warnings %v, want %v", ws, want)
		}
		replanClean(t, p)
	})
	t.Run("one cluster's service ranges may not overlap", func(t *testing.T) {
		_, err := mesh.NewPlan(mesh.Spec{Pools: pods, Clusters: []mesh.ClusterSpec{
			{Name: "a", ServiceCIDRs: pfx("10.96.0.0/12")},
			{Name: "b", ServiceCIDRs: pfx("10.96.0.0/12", "10.96.0.0/16")},
			{Name: "c", ServiceCIDRs: pfx("10.96.0.0/12", "10.96.0.0/16")},
		}}, nil)
		// 10.96.0.0/12 in three clusters and 10.96.0.0/16 in two only warn; b (and c)
		// holding both is the one error.
		want := `mesh: CIDR overlap: cluster "b" service CIDR 10.96.0.0/12 overlaps cluster "b" service CIDR 10.96.0.0/16`
		if got := err.Error(); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
}

// TestNewPlanWithoutServiceRanges is issue 12's case: a spec with pod pools only plans
// pod ranges and node checks, and no service ranges.
func TestNewPlanWithoutServiceRanges(t *testing.T) {
	spec := mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.240.0.0/12", "fd00::/48")}, Clusters: []mesh.ClusterSpec{
		{Name: "tokyo", ID: 1, NodeCIDRs: pfx("10.13.0.0/16")},
		{Name: "hk", NodeCIDRs: pfx("10.14.0.0/16"), PodCIDRs: pfx("10.245.0.0/16")},
		{Name: "sg", ServiceCIDRs: pfx("10.96.0.0/12")}, // pinned: kept as given
	}}
	p, err := mesh.NewPlan(spec, nil)
	if err != nil {
		t.Fatalf("a pods-only spec fails: %v", err)
	}
	checkCluster(t, p, want{name: "tokyo", id: 1, pods: []string{"10.240.0.0/16", "fd00::/104"}, services: []string{}})
	checkCluster(t, p, want{name: "hk", id: 2, pods: []string{"10.245.0.0/16", "fd00::100:0/104"}, services: []string{}})
	checkCluster(t, p, want{name: "sg", id: 3, pods: []string{"10.241.0.0/16", "fd00::200:0/104"}, services: []string{"10.96.0.0/12"}})
	for _, c := range p.Clusters() {
		if c.Name != "sg" && len(c.ServiceCIDRs) != 0 {
			t.Errorf("%s has service CIDRs %v", c.Name, c.ServiceCIDRs)
		}
		vals, err := p.HelmValues(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(vals); strings.Contains(strings.ToLower(s), "service") || strings.Contains(s, "10.96.") {
			t.Errorf("%s: Helm values carry a service range: %v", c.Name, s)
		}
	}
	checkPlan(t, spec, p)
	replanClean(t, p)
	// Node checks still apply.
	bad := spec
	bad.Clusters = append([]mesh.ClusterSpec{}, spec.Clusters...)
	bad.Clusters[1].NodeCIDRs = pfx("10.245.0.0/24")
	if _, err := mesh.NewPlan(bad, nil); !errors.Is(err, mesh.ErrCIDROverlap) {
		t.Errorf("node CIDR on a pod range: %v, want ErrCIDROverlap", err)
	}
	// Growing it keeps it pods-only; a later service pool adds service ranges.
	grown, err := mesh.NewPlan(mesh.Spec{Pools: spec.Pools, Clusters: append(spec.Clusters[:3:3], mesh.ClusterSpec{Name: "osaka"})},
		&mesh.PlanOptions{Previous: p})
	if err != nil {
		t.Fatal(err)
	}
	checkCluster(t, grown, want{name: "osaka", id: 4, services: []string{}})
	withSvc := mesh.Spec{Pools: ipam.Pools{Pods: spec.Pools.Pods, Services: pfx("172.20.0.0/16")}, Clusters: spec.Clusters}
	ws, err := mesh.NewPlan(withSvc, &mesh.PlanOptions{Previous: p})
	if err != nil {
		t.Fatal(err)
	}
	checkCluster(t, ws, want{name: "tokyo", services: []string{"172.20.0.0/20"}})
	checkCluster(t, ws, want{name: "sg", services: []string{"10.96.0.0/12"}})
}

func TestParseSpecNamesTheLine(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string // one per problem, in order
	}{
		{"keys differing only in case", "clusters:\n- name: zeta\n  NAME: alpha\n",
			[]string{`mesh: invalid spec: line 3 column 3: key "NAME" differs only in case from key "name" at line 2`}},
		{"a field name in another case", "clusters:\n- Name: zeta\n",
			[]string{`mesh: invalid spec: line 2 column 3: unknown field "Name" (the field is "name")`}},
		{"a top-level case variant", "Clusters: []\n",
			[]string{`mesh: invalid spec: line 1 column 1: unknown field "Clusters" (the field is "clusters")`}},
		{"json folding (long s)", "clusterſ: []\n",
			[]string{`mesh: invalid spec: line 1 column 1: unknown field "clusterſ" (the field is "clusters")`}},
		{"duplicate key", "clusters: [{name: tokyo, name: hk}]",
			[]string{`mesh: invalid spec: line 1 column 26: duplicate key "name" (first at line 1)`}},
		{"unknown field", "pools: {pods: []}\nclusterz: []",
			[]string{`mesh: invalid spec: line 2 column 1: unknown field "clusterz"`}},
		{"a second document", "clusters: [{name: tokyo}]\n---\nclusters: [{name: hk}]\n",
			[]string{`mesh: invalid spec: line 2 column 1: a second YAML document; the file must hold one`}},
		{"a second document after an empty one", "---\n---\nclusters: [{name: hk}]\n",
			[]string{`mesh: invalid spec: line 2 column 1: a second YAML document; the file must hold one`}},
		{"an anchor under an unknown field", "x: &c {NAME: b}\n",
			[]string{`mesh: invalid spec: line 1 column 1: unknown field "x"`}},
		{"merged case variant", "clusters:\n- &c {nodeCIDRs: [10.0.0.0/16]}\n- {name: a, <<: {NAME: b}}\n",
			[]string{`mesh: invalid spec: line 3 column 18: key "NAME" differs only in case from key "name" at line 3`}},
		{"every problem at once", "clusters:\n- {name: a, Name: b}\n- {NodeCIDRs: []}\npools: {Pods: []}\n",
			[]string{
				`mesh: invalid spec: line 2 column 13: key "Name" differs only in case from key "name" at line 2`,
				`mesh: invalid spec: line 3 column 4: unknown field "NodeCIDRs" (the field is "nodeCIDRs")`,
				`mesh: invalid spec: line 4 column 9: unknown field "Pods" (the field is "pods")`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mesh.ParseSpec([]byte(tc.doc))
			if !errors.Is(err, mesh.ErrInvalidSpec) {
				t.Fatalf("ParseSpec = %v, want ErrInvalidSpec", err)
			}
			if got := err.Error(); got != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(tc.want, "\n"))
			}
		})
	}
	// Still accepted: a leading "---", a trailing empty document, merge keys.
	for _, doc := range []string{
		"---\nclusters: [{name: tokyo}]\n",
		"clusters: [{name: tokyo}]\n---\n",
		"clusters: [{name: tokyo}]\n...\n",
		"clusters:\n- name: tokyo\n- <<: &m {nodeMaskSize: 25}\n  name: hk\n",
		"clusters:\n- {name: tokyo, nodeMaskSize: 24}\n- <<: [{nodeMaskSize: 25}]\n  name: hk\n",
	} {
		s, err := mesh.ParseSpec([]byte(doc))
		if err != nil || len(s.Clusters) == 0 || s.Clusters[0].Name != "tokyo" {
			t.Errorf("ParseSpec(%q) = %+v, %v", doc, s, err)
		}
		if len(s.Clusters) == 2 && (s.Clusters[1].Name != "hk" || s.Clusters[1].NodeMaskSize != 25) {
			t.Errorf("merge: %+v", s.Clusters[1])
		}
	}
}

func BenchmarkParseSpecAttackRepeatedNodeCIDRs(b *testing.B) {
	doc := repeatedNodeCIDRs(57<<10, false)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		spec, err := mesh.ParseSpec(doc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mesh.NewPlan(spec, nil); err == nil {
			b.Fatal("planned")
		}
	}
}

func BenchmarkParseSpecAttackUnboundedInput(b *testing.B) {
	zeros := make([]byte, mesh.MaxSpecSize+1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mesh.ParseSpec(zeros); err == nil {
			b.Fatal("parsed")
		}
	}
}

// BenchmarkParseSpecAttackMaxSize parses documents just under MaxSpecSize: the most a
// caller can be made to parse.
func BenchmarkParseSpecAttackMaxSize(b *testing.B) {
	for _, tc := range []struct {
		name string
		doc  []byte
	}{
		{"repeated", repeatedNodeCIDRs(mesh.MaxSpecSize-64, false)},
		{"zeros", make([]byte, mesh.MaxSpecSize)},
		{"name", []byte("clusters: [{name: " + strings.Repeat("n", mesh.MaxSpecSize-64) + "}]")},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.doc)))
			b.ReportAllocs()
			for b.Loop() {
				spec, err := mesh.ParseSpec(tc.doc)
				if err == nil {
					_, err = mesh.NewPlan(spec, nil)
				}
				if err == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}

func BenchmarkParseSpecAttackHugeName(b *testing.B) {
	doc := []byte("clusters: [{name: " + strings.Repeat("n", 50<<20) + "}]")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mesh.ParseSpec(doc); err == nil {
			b.Fatal("parsed")
		}
	}
}

func BenchmarkNewPlanOverlapAttack(b *testing.B) {
	for _, tc := range []struct {
		name string
		doc  []byte
	}{
		{"repeated-57KB", repeatedNodeCIDRs(57<<10, false)},
		{"repeated-clusters-57KB", repeatedNodeCIDRs(57<<10, true)},
		{"nested-57KB", nestedNodeCIDRs(57 << 10)},
		{"repeated-MaxSpecSize", repeatedNodeCIDRs(mesh.MaxSpecSize-64, false)},
		{"nested-MaxSpecSize", nestedNodeCIDRs(mesh.MaxSpecSize - 64)},
	} {
		spec, err := mesh.ParseSpec(tc.doc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mesh.NewPlan(spec, nil); err == nil {
					b.Fatal("planned")
				}
			}
		})
	}
	b.Run("huge-name", func(b *testing.B) {
		spec := mesh.Spec{Pools: ipam.Pools{Pods: pfx("10.0.0.0/8")}, Clusters: []mesh.ClusterSpec{
			{Name: strings.Repeat("n", 50<<20), NodeCIDRs: []netip.Prefix{netip.MustParsePrefix("10.13.0.0/16")}},
		}}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mesh.NewPlan(spec, nil); err == nil {
				b.Fatal("planned")
			}
		}
	})
}
