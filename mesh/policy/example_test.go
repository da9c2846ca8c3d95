package policy_test

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
	"github.com/ciliumkit/ciliumkit/mesh/policy"
)

// The seed's deathstar policy, made cluster-aware: only tiefighters of cluster tokyo may
// request a landing, wherever the deathstar runs.
func ExampleNetworkPolicy_Build() {
	cnp, err := policy.NetworkPolicy{
		Namespace: "default",
		Name:      "rule1",
		Select:    map[string]string{"org": "empire", "class": "deathstar"},
		Ingress: []policy.Rule{{
			Peers: []policy.Peer{{Labels: map[string]string{"class": "tiefighter"}, Cluster: "tokyo"}},
			Ports: []policy.Port{{Port: 80, Protocol: lb.TCP}},
			HTTP:  []policy.HTTPRule{{Method: "POST", Path: "/v1/request-landing"}},
		}},
	}.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := yaml.Marshal(cnp.Spec)
	fmt.Printf("%s %s\n%s", cnp.APIVersion, cnp.Kind, out)
	// Output:
	// cilium.io/v2 CiliumNetworkPolicy
	// endpointSelector:
	//   matchLabels:
	//     class: deathstar
	//     org: empire
	// ingress:
	// - fromEndpoints:
	//   - matchLabels:
	//       class: tiefighter
	//       io.cilium.k8s.policy.cluster: tokyo
	//   toPorts:
	//   - ports:
	//     - port: "80"
	//       protocol: TCP
	//     rules:
	//       http:
	//       - method: POST
	//         path: /v1/request-landing
}

// Write once, enforce everywhere: one policy, every cluster of the mesh.
func ExampleApply() {
	cnp, err := policy.NetworkPolicy{
		Namespace: "default", Name: "deathstar-empire-only",
		Select:  map[string]string{"class": "deathstar"},
		Ingress: []policy.Rule{{Peers: []policy.Peer{{Labels: map[string]string{"org": "empire"}}}}},
	}.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	// One target per cluster of the plan; the API server configs come from the platform.
	// (Not run: it needs live clusters.)
	configs := map[string]*rest.Config{
		"tokyo": {Host: "https://10.13.1.128:6443"},
		"hk":    {Host: "https://10.14.1.128:6443"},
	}
	var targets []policy.Target
	for name, cfg := range configs {
		t, err := policy.NewTarget(name, cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		targets = append(targets, t)
	}
	if err := policy.Apply(context.Background(), targets, cnp, nil); err != nil {
		fmt.Println(err) // every failed cluster, named
	}
}
