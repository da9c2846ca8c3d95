package resolve

import (
	"testing"
	"time"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	corev1 "k8s.io/api/core/v1"
)

// FuzzResolve feeds Resolve policies and endpoints as an API server may hold them
// (strings Cilium parses): it must not panic, and every entry it returns must be valid
// and unique.
func FuzzResolve(f *testing.F) {
	f.Add("192.168.20.100/32", "10.0.0.0/8", "192.168.10.240", "org", "empire", "k8s:org=empire", "10.245.1.7", "192.168.10.21")
	f.Add("0.0.0.0/0", "", "", "k8s:org", "x", "org=", "fd00::1", "")
	f.Add("::/0", "1.2.3.4/40", "::1", "", "", "", "300.1.1.1", "a.b")
	f.Fuzz(func(t *testing.T, dst, excl, egressIP, key, val, label, epIP, nodeIP string) {
		p := seedPolicy()
		p.Spec.DestinationCIDRs = []ciliumv2.CIDR{ciliumv2.CIDR(dst)}
		if excl != "" {
			p.Spec.ExcludedCIDRs = []ciliumv2.CIDR{ciliumv2.CIDR(excl)}
		}
		p.Spec.EgressGateway.EgressIP = egressIP
		p.Spec.Selectors[0].PodSelector = &slimv1.LabelSelector{MatchLabels: map[string]string{key: val}}
		s := &State{
			Policies:  []*ciliumv2.CiliumEgressGatewayPolicy{p},
			Nodes:     []*corev1.Node{node("k8s-w2", nodeIP, true)},
			Endpoints: []*ciliumv2.CiliumEndpoint{cep("default", "e", "uid", epIP, nodeIP, label)},
		}
		res := Resolve(s, time.Now(), nil)
		seen := map[[2]string]bool{}
		for _, e := range res.Entries {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid entry %v: %v", e, err)
			}
			k := [2]string{e.Source.String(), e.Destination.String()}
			if seen[k] {
				t.Fatalf("entry %v twice", e)
			}
			seen[k] = true
		}
	})
}
