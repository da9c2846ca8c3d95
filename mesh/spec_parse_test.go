package mesh_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh"
)

const seedYAML = `
maxConnectedClusters: 255
pools:
  pods: [10.240.0.0/12, "fd00:10:240::/56"]
  services: [10.96.0.0/12, "fd00:10:96::/96"]
defaults: {podCIDRPrefixLength: 16, podCIDRPrefixLengthV6: 104, nodeMaskSize: 24, nodeMaskSizeV6: 120, serviceCIDRPrefixLength: 20, serviceCIDRPrefixLengthV6: 112}
clusters:
- {name: tokyo, id: 1, nodeCIDRs: [10.13.0.0/16]}
- {name: hk, id: 2, nodeCIDRs: [10.14.0.0/16], podCIDRs: [10.245.0.0/16]}
`

const seedJSON = `{"maxConnectedClusters":255,
 "pools":{"pods":["10.240.0.0/12","fd00:10:240::/56"],"services":["10.96.0.0/12","fd00:10:96::/96"]},
 "defaults":{"podCIDRPrefixLength":16,"podCIDRPrefixLengthV6":104,"nodeMaskSize":24,"nodeMaskSizeV6":120,"serviceCIDRPrefixLength":20,"serviceCIDRPrefixLengthV6":112},
 "clusters":[{"name":"tokyo","id":1,"nodeCIDRs":["10.13.0.0/16"]},{"name":"hk","id":2,"nodeCIDRs":["10.14.0.0/16"],"podCIDRs":["10.245.0.0/16"]}]}`

func TestParseSpec(t *testing.T) {
	for _, doc := range []string{seedYAML, seedJSON} {
		s, err := mesh.ParseSpec([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		want := seedSpec()
		if s.MaxConnectedClusters != 255 || !slices.Equal(s.Pools.Pods, want.Pools.Pods) || !slices.Equal(s.Pools.Services, want.Pools.Services) {
			t.Errorf("parsed header %+v, want the seed's", s)
		}
		if s.Defaults != (mesh.Defaults{PodCIDRPrefixLength: 16, PodCIDRPrefixLengthV6: 104, NodeMaskSize: 24, NodeMaskSizeV6: 120, ServiceCIDRPrefixLength: 20, ServiceCIDRPrefixLengthV6: 112}) {
			t.Errorf("defaults %+v", s.Defaults)
		}
		if len(s.Clusters) != 2 || s.Clusters[0].Name != "tokyo" || s.Clusters[1].ID != 2 ||
			!slices.Equal(s.Clusters[1].PodCIDRs, pfx("10.245.0.0/16")) || !slices.Equal(s.Clusters[0].NodeCIDRs, pfx("10.13.0.0/16")) {
			t.Errorf("clusters %+v", s.Clusters)
		}
		// The file form and the Go form plan the same.
		a, err := mesh.NewPlan(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := mesh.NewPlan(seedSpec(), nil)
		if ja, _ := a.MarshalJSON(); string(ja) != string(must(b.MarshalJSON())) {
			t.Errorf("file spec plans differently from the Go spec:\n%s", ja)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseSpecStrict(t *testing.T) {
	for _, tc := range []struct {
		name, doc, names string
	}{
		{"unknown top-level field", "clusterz: []", "clusterz"},
		{"unknown cluster field", "clusters: [{name: tokyo, podCIDR: 10.0.0.0/16}]", "podCIDR"},
		{"unknown pool field", "pools: {nodes: [10.0.0.0/8]}\nclusters: []", "nodes"},
		{"unknown default field", "defaults: {maskSize: 24}", "maskSize"},
		{"bad CIDR", "clusters: [{name: tokyo, podCIDRs: [10.0.0.0/33]}]", "10.0.0.0/33"},
		{"address, not prefix", "clusters: [{name: tokyo, nodeCIDRs: [10.0.0.1]}]", "10.0.0.1"},
		{"negative ID", "clusters: [{name: tokyo, id: -1}]", "id"},
		{"ID of the wrong type", "clusters: [{name: tokyo, id: one}]", "id"},
		{"duplicate key", "clusters: [{name: tokyo, name: hk}]", "name"},
		{"not a mapping", "- tokyo", "mesh: invalid spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mesh.ParseSpec([]byte(tc.doc))
			if !errors.Is(err, mesh.ErrInvalidSpec) {
				t.Fatalf("ParseSpec(%q) = %v, want ErrInvalidSpec", tc.doc, err)
			}
			if !strings.Contains(err.Error(), tc.names) {
				t.Errorf("error %q does not name %q", err, tc.names)
			}
		})
	}
}

func TestParsePlanRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"unknown field", `{"maxConnectedClusters":255,"clusters":[],"extra":1}`},
		{"cluster without id", `{"maxConnectedClusters":255,"clusters":[{"name":"a","podCIDRs":["10.0.0.0/16"],"serviceCIDRs":["10.96.0.0/20"]}]}`},
		{"cluster without pods", `{"maxConnectedClusters":255,"clusters":[{"name":"a","id":1,"serviceCIDRs":["10.96.0.0/20"]}]}`},
		{"case variant of a field", `{"maxConnectedClusters":255,"clusters":[{"Name":"a","id":1,"podCIDRs":["10.0.0.0/16"]}]}`},
		{"two documents", "{\"maxConnectedClusters\":255,\"clusters\":[]}\n---\n{\"maxConnectedClusters\":511}"},
		{"larger than MaxSpecSize", `{"maxConnectedClusters":255,"clusters":[]}` + strings.Repeat(" ", mesh.MaxSpecSize)},
		{"overlapping clusters", `{"maxConnectedClusters":255,"clusters":[
			{"name":"a","id":1,"podCIDRs":["10.0.0.0/16"],"serviceCIDRs":["10.96.0.0/20"]},
			{"name":"b","id":2,"podCIDRs":["10.0.0.0/16"],"serviceCIDRs":["10.96.16.0/20"]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mesh.ParsePlan([]byte(tc.doc)); !errors.Is(err, mesh.ErrInvalidPlan) {
				t.Errorf("ParsePlan = %v, want ErrInvalidPlan", err)
			}
		})
	}
}
