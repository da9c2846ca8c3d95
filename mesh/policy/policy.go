package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	ciliumio "github.com/cilium/cilium/pkg/k8s/apis/cilium.io"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimmetav1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	"github.com/cilium/cilium/pkg/policy/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// ClusterLabel is the endpoint label that carries the name of an endpoint's cluster in a
// ClusterMesh: io.cilium.k8s.policy.cluster. Selecting on it makes a policy rule
// cluster-aware.
const ClusterLabel = ciliumio.PolicyLabelCluster

// Peer selects endpoints by their labels, in one cluster of the mesh or in all.
type Peer struct {
	// Labels the endpoints must all carry; empty selects every endpoint.
	Labels map[string]string
	// Cluster, when set, limits the peer to endpoints of that cluster (a ClusterLabel
	// match). Empty: any cluster of the mesh.
	Cluster string
}

// Port is a destination port or port range.
type Port struct {
	// Port is 1-65535.
	Port uint16
	// EndPort, when not 0, makes the range Port-EndPort (EndPort ≥ Port).
	EndPort uint16
	// Protocol is TCP, UDP or SCTP; 0 means any protocol.
	Protocol lb.Protocol
}

// HTTPRule allows HTTP requests whose method and path match (extended POSIX regexps as
// Envoy evaluates them; empty allows any).
type HTTPRule struct {
	// Method is a regexp over the request method, e.g. "POST" or "GET|HEAD".
	Method string
	// Path is a regexp over the request path, e.g. "/v1/request-landing".
	Path string
}

// Rule is one ingress or egress rule: traffic from (ingress) or to (egress) the
// peers and entities, on the ports, limited to the HTTP requests when HTTP is set. A rule
// with ports only applies to every peer.
type Rule struct {
	// Peers select endpoints (fromEndpoints / toEndpoints).
	Peers []Peer
	// Entities are Cilium entities (fromEntities / toEntities): "all", "world",
	// "cluster", "host", "init", "ingress", "unmanaged", "remote-node", "health", "none",
	// "kube-apiserver".
	Entities []string
	// Ports limit the rule to these destination ports; empty allows all ports.
	Ports []Port
	// HTTP limits the rule to these requests (L7); requires Ports with protocol TCP or any.
	HTTP []HTTPRule
}

// NetworkPolicy describes a namespaced CiliumNetworkPolicy: the endpoints it selects and
// what they may receive and send. Build turns it into Cilium's API object.
type NetworkPolicy struct {
	// Namespace and Name of the CiliumNetworkPolicy.
	Namespace, Name string
	// Description is written to spec.description.
	Description string
	// Select are the labels of the endpoints the policy applies to; empty selects every
	// endpoint of the namespace.
	Select map[string]string
	// Ingress and Egress rules. A policy with ingress rules denies other ingress to the
	// selected endpoints; likewise for egress.
	Ingress, Egress []Rule
}

// entities Cilium's CRD accepts.
var policyEntities = map[string]bool{
	"all": true, "world": true, "cluster": true, "host": true, "init": true, "ingress": true,
	"unmanaged": true, "remote-node": true, "health": true, "none": true, "kube-apiserver": true,
}

// Build validates p and returns it as a cilium.io/v2 CiliumNetworkPolicy. Every problem
// is reported at once, joined, each wrapping ErrInvalid and naming the policy, the
// field and the value.
func (p NetworkPolicy) Build() (*ciliumv2.CiliumNetworkPolicy, error) {
	v := &policyValidator{policy: p.Namespace + "/" + p.Name}
	if errs := validation.IsDNS1123Subdomain(p.Name); len(errs) > 0 {
		v.fail("name %q: %s", p.Name, errs[0])
	}
	if errs := validation.IsDNS1123Label(p.Namespace); len(errs) > 0 {
		v.fail("namespace %q: %s", p.Namespace, errs[0])
	}
	if len(p.Ingress) == 0 && len(p.Egress) == 0 {
		v.fail("no ingress or egress rule")
	}
	rule := &api.Rule{
		EndpointSelector: v.selector("endpointSelector", Peer{Labels: p.Select}),
		Description:      p.Description,
	}
	for i, r := range p.Ingress {
		field := fmt.Sprintf("ingress[%d]", i)
		in := api.IngressRule{ToPorts: v.ports(field, r)}
		for j, peer := range r.Peers {
			in.FromEndpoints = append(in.FromEndpoints, v.selector(fmt.Sprintf("%s.fromEndpoints[%d]", field, j), peer))
		}
		in.FromEntities = v.entities(field+".fromEntities", r.Entities)
		rule.Ingress = append(rule.Ingress, in)
	}
	for i, r := range p.Egress {
		field := fmt.Sprintf("egress[%d]", i)
		out := api.EgressRule{ToPorts: v.ports(field, r)}
		for j, peer := range r.Peers {
			out.ToEndpoints = append(out.ToEndpoints, v.selector(fmt.Sprintf("%s.toEndpoints[%d]", field, j), peer))
		}
		out.ToEntities = v.entities(field+".toEntities", r.Entities)
		rule.Egress = append(rule.Egress, out)
	}
	if err := errors.Join(v.errs...); err != nil {
		return nil, err
	}
	return &ciliumv2.CiliumNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: ciliumv2.SchemeGroupVersion.String(), Kind: ciliumv2.CNPKindDefinition},
		ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name},
		Spec:       rule,
	}, nil
}

type policyValidator struct {
	policy string
	errs   []error
}

func (v *policyValidator) fail(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("policy %s: %w: %s", v.policy, ErrInvalid, fmt.Sprintf(format, args...)))
}

// selector returns an endpoint selector as a user writes it: plain label keys in
// matchLabels, ClusterLabel added for a cluster-bound peer.
func (v *policyValidator) selector(field string, peer Peer) api.EndpointSelector {
	ml := make(map[string]string, len(peer.Labels)+1)
	for k, val := range peer.Labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			v.fail("%s label key %q: %s", field, k, errs[0])
		}
		if errs := validation.IsValidLabelValue(val); len(errs) > 0 {
			v.fail("%s label %s value %q: %s", field, k, val, errs[0])
		}
		ml[k] = val
	}
	if peer.Cluster != "" {
		if err := mesh.ValidateClusterName(peer.Cluster); err != nil {
			v.fail("%s cluster: %v", field, err)
		}
		if c, ok := ml[ClusterLabel]; ok && c != peer.Cluster {
			v.fail("%s: label %s=%q contradicts cluster %q", field, ClusterLabel, c, peer.Cluster)
		}
		ml[ClusterLabel] = peer.Cluster
	}
	return api.EndpointSelector{LabelSelector: &slimmetav1.LabelSelector{MatchLabels: ml}}
}

func (v *policyValidator) entities(field string, es []string) api.EntitySlice {
	var out api.EntitySlice
	for _, e := range es {
		if !policyEntities[e] {
			v.fail("%s: unknown entity %q", field, e)
		}
		out = append(out, api.Entity(e))
	}
	return out
}

func (v *policyValidator) ports(field string, r Rule) api.PortRules {
	if len(r.Peers) == 0 && len(r.Entities) == 0 && len(r.Ports) == 0 {
		v.fail("%s: empty rule (no peers, entities or ports)", field)
	}
	if len(r.Ports) == 0 {
		if len(r.HTTP) > 0 {
			v.fail("%s: HTTP rules need ports", field)
		}
		return nil
	}
	pr := api.PortRule{}
	for i, p := range r.Ports {
		pp := api.PortProtocol{Port: strconv.Itoa(int(p.Port)), Protocol: api.ProtoAny}
		switch p.Protocol {
		case 0:
		case lb.TCP:
			pp.Protocol = api.ProtoTCP
		case lb.UDP:
			pp.Protocol = api.ProtoUDP
		case lb.SCTP:
			pp.Protocol = api.ProtoSCTP
		default:
			v.fail("%s.ports[%d]: protocol %s", field, i, p.Protocol)
		}
		if p.Port == 0 {
			v.fail("%s.ports[%d]: port 0", field, i)
		}
		if p.EndPort != 0 {
			if p.EndPort < p.Port {
				v.fail("%s.ports[%d]: endPort %d below port %d", field, i, p.EndPort, p.Port)
			}
			pp.EndPort = int32(p.EndPort)
		}
		if len(r.HTTP) > 0 && p.Protocol != lb.TCP && p.Protocol != 0 {
			v.fail("%s.ports[%d]: HTTP rules need TCP, not %s", field, i, p.Protocol)
		}
		pr.Ports = append(pr.Ports, pp)
	}
	if len(r.HTTP) > 0 {
		pr.Rules = &api.L7Rules{}
		for i, h := range r.HTTP {
			for _, f := range [...]struct{ what, re string }{{"method", h.Method}, {"path", h.Path}} {
				if _, err := regexp.Compile(f.re); err != nil {
					v.fail("%s.http[%d] %s %q: %v", field, i, f.what, f.re, err)
				}
			}
			pr.Rules.HTTP = append(pr.Rules.HTTP, api.PortRuleHTTP{Method: h.Method, Path: h.Path})
		}
	}
	return api.PortRules{pr}
}
