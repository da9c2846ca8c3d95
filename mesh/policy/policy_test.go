package policy

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// deathstarL7 is the seed's L7 policy built with NetworkPolicy.
func deathstarL7(namespace string) NetworkPolicy {
	return NetworkPolicy{
		Namespace:   namespace,
		Name:        "rule1",
		Description: "L7 policy to restrict access to specific HTTP call",
		Select:      map[string]string{"org": "empire", "class": "deathstar"},
		Ingress: []Rule{{
			Peers: []Peer{{Labels: map[string]string{"org": "empire"}}},
			Ports: []Port{{Port: 80, Protocol: lb.TCP}},
			HTTP:  []HTTPRule{{Method: "POST", Path: "/v1/request-landing"}},
		}},
	}
}

// crossCluster lets tiefighters of cluster tokyo only (not those of hk) land, and lets the
// deathstar reach kube-dns of every cluster.
func crossCluster(namespace string) NetworkPolicy {
	return NetworkPolicy{
		Namespace: namespace,
		Name:      "deathstar-from-tokyo",
		Select:    map[string]string{"class": "deathstar"},
		Ingress: []Rule{{
			Peers: []Peer{{Labels: map[string]string{"class": "tiefighter"}, Cluster: "tokyo"}},
			Ports: []Port{{Port: 80, Protocol: lb.TCP}},
			HTTP:  []HTTPRule{{Method: "POST", Path: "/v1/request-landing"}, {Method: "GET|HEAD", Path: "/v1/.*"}},
		}},
		Egress: []Rule{{
			Peers: []Peer{{Labels: map[string]string{"k8s-app": "kube-dns", "io.kubernetes.pod.namespace": "kube-system"}}},
			Ports: []Port{{Port: 53, Protocol: lb.UDP}, {Port: 53, Protocol: lb.TCP}},
		}, {
			Entities: []string{"kube-apiserver"},
			Ports:    []Port{{Port: 6443, EndPort: 6444}},
		}},
	}
}

func specJSON(t *testing.T, cnp *ciliumv2.CiliumNetworkPolicy) string {
	t.Helper()
	b, err := json.Marshal(cnp.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeathstarL7MatchesSeed(t *testing.T) {
	raw, err := os.ReadFile("testdata/deathstar-l7.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var seed ciliumv2.CiliumNetworkPolicy
	if err := yaml.UnmarshalStrict(raw, &seed); err != nil {
		t.Fatal(err)
	}
	got, err := deathstarL7("default").Build()
	if err != nil {
		t.Fatal(err)
	}
	if g, w := specJSON(t, got), specJSON(t, &seed); g != w {
		t.Fatalf("built spec\n%s\nseed spec\n%s", g, w)
	}
	if got.Name != seed.Name || got.Namespace != seed.Namespace || got.APIVersion != seed.APIVersion || got.Kind != seed.Kind {
		t.Fatalf("built %s %s %s/%s, seed %s %s %s/%s", got.APIVersion, got.Kind, got.Namespace, got.Name, seed.APIVersion, seed.Kind, seed.Namespace, seed.Name)
	}
}

func TestClusterAwareSelector(t *testing.T) {
	cnp, err := crossCluster("starwars").Build()
	if err != nil {
		t.Fatal(err)
	}
	from := cnp.Spec.Ingress[0].FromEndpoints[0].MatchLabels
	if from["io.cilium.k8s.policy.cluster"] != "tokyo" || from["class"] != "tiefighter" || len(from) != 2 {
		t.Fatalf("fromEndpoints labels %v", from)
	}
	if _, ok := cnp.Spec.Egress[0].ToEndpoints[0].MatchLabels[ClusterLabel]; ok {
		t.Fatal("a peer without Cluster got a cluster label")
	}
	if !strings.Contains(specJSON(t, cnp), `"endPort":6444`) {
		t.Fatalf("port range lost: %s", specJSON(t, cnp))
	}
}

func TestBuildRejects(t *testing.T) {
	ok := func() NetworkPolicy { return deathstarL7("default") }
	tests := []struct {
		name   string
		edit   func(p *NetworkPolicy)
		errHas string
	}{
		{"empty name", func(p *NetworkPolicy) { p.Name = "" }, `name ""`},
		{"bad namespace", func(p *NetworkPolicy) { p.Namespace = "Default" }, `namespace "Default"`},
		{"no rules", func(p *NetworkPolicy) { p.Ingress = nil }, "no ingress or egress rule"},
		{"empty rule", func(p *NetworkPolicy) { p.Egress = []Rule{{}} }, "egress[0]: empty rule"},
		{"port 0", func(p *NetworkPolicy) { p.Ingress[0].Ports[0].Port = 0 }, "ingress[0].ports[0]: port 0"},
		{"end below port", func(p *NetworkPolicy) { p.Ingress[0].Ports[0].EndPort = 79 }, "endPort 79 below port 80"},
		{"unknown protocol", func(p *NetworkPolicy) { p.Ingress[0].Ports[0].Protocol = 99 }, "protocol proto(99)"},
		{"HTTP over UDP", func(p *NetworkPolicy) { p.Ingress[0].Ports[0].Protocol = lb.UDP }, "HTTP rules need TCP, not UDP"},
		{"HTTP without ports", func(p *NetworkPolicy) { p.Ingress[0].Ports = nil }, "HTTP rules need ports"},
		{"bad path regexp", func(p *NetworkPolicy) { p.Ingress[0].HTTP[0].Path = "/v1/(" }, `path "/v1/("`},
		{"bad method regexp", func(p *NetworkPolicy) { p.Ingress[0].HTTP[0].Method = "[" }, `method "["`},
		{"unknown entity", func(p *NetworkPolicy) { p.Ingress[0].Entities = []string{"galaxy"} }, `unknown entity "galaxy"`},
		{"bad label key", func(p *NetworkPolicy) { p.Select = map[string]string{"bad key": "x"} }, `label key "bad key"`},
		{"bad label value", func(p *NetworkPolicy) { p.Select = map[string]string{"org": "em pire"} }, `value "em pire"`},
		{"bad cluster", func(p *NetworkPolicy) { p.Ingress[0].Peers[0].Cluster = "Tokyo" }, `"Tokyo"`},
		{"contradicting cluster label", func(p *NetworkPolicy) {
			p.Ingress[0].Peers[0] = Peer{Labels: map[string]string{ClusterLabel: "hk"}, Cluster: "tokyo"}
		}, "contradicts cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok()
			tt.edit(&p)
			cnp, err := p.Build()
			if !errors.Is(err, ErrInvalid) || cnp != nil {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), "policy "+p.Namespace+"/"+p.Name+":") {
				t.Fatalf("error %q does not contain %q and the policy", err, tt.errHas)
			}
		})
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	p := deathstarL7("default")
	p.Ingress[0].Ports[0].Port = 0
	p.Ingress[0].Entities = []string{"galaxy"}
	p.Ingress[0].HTTP[0].Path = "("
	_, err := p.Build()
	for _, want := range []string{"port 0", "galaxy", `path "("`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
