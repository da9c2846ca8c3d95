package resolve

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	k8sconst "github.com/cilium/cilium/pkg/k8s/apis/cilium.io"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	slimv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1"
	ciliumlabels "github.com/cilium/cilium/pkg/labels"
)

// endpointInfo is a CiliumEndpoint as the policies see it.
type endpointInfo struct {
	namespace, name, uid string
	labels               slimlabels.Set
	ips                  []netip.Addr
	nodeIP               netip.Addr
}

// endpointsOf returns the usable endpoints of ceps (a UID, identity labels and an IPv4
// address), by namespace and name.
func endpointsOf(ceps []*ciliumv2.CiliumEndpoint) []endpointInfo {
	var out []endpointInfo
	for _, c := range ceps {
		st := c.Status
		if c.UID == "" || st.Identity == nil || len(st.Identity.Labels) == 0 || st.Networking == nil {
			continue
		}
		e := endpointInfo{namespace: c.Namespace, name: c.Name, uid: string(c.UID),
			labels: slimlabels.Set(ciliumlabels.NewLabelsFromModel(st.Identity.Labels).K8sStringMap())}
		if _, ok := e.labels[k8sconst.PodNamespaceLabel]; !ok && c.Namespace != "" {
			e.labels[k8sconst.PodNamespaceLabel] = c.Namespace
		}
		for _, a := range st.Networking.Addressing {
			if ip, err := netip.ParseAddr(a.IPV4); err == nil && ip.Is4() && !slices.Contains(e.ips, ip) {
				e.ips = append(e.ips, ip)
			}
		}
		e.nodeIP, _ = netip.ParseAddr(st.Networking.NodeIP)
		if len(e.ips) > 0 {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b endpointInfo) int {
		return strings.Compare(a.namespace+"/"+a.name, b.namespace+"/"+b.name)
	})
	return out
}

// selectorOf converts a label selector as Cilium reads it: keys may carry a "k8s:" or
// "any:" source prefix; prefix, when set, is prepended to every key. A nil selector
// selects everything. in is not modified.
func selectorOf(in *slimv1.LabelSelector, prefix string) (slimlabels.Selector, error) {
	if in == nil {
		return slimlabels.Everything(), nil
	}
	key := func(k string) string {
		for _, src := range []string{ciliumlabels.LabelSourceK8s + ":", ciliumlabels.LabelSourceAny + ":"} {
			k = strings.TrimPrefix(k, src)
		}
		return prefix + k
	}
	sel := &slimv1.LabelSelector{MatchLabels: map[string]string{}}
	for k, v := range in.MatchLabels {
		sel.MatchLabels[key(k)] = v
	}
	for _, r := range in.MatchExpressions {
		r = *r.DeepCopy()
		r.Key = key(r.Key)
		sel.MatchExpressions = append(sel.MatchExpressions, r)
	}
	return slimv1.LabelSelectorAsSelector(sel)
}

// endpointSelector is one spec.selectors rule: the pod and namespace selectors must both
// match.
type endpointSelector struct {
	pods, namespaces slimlabels.Selector
}

// endpointSelectorOf converts one selector rule the way Cilium's ParseCEGP does.
func endpointSelectorOf(r ciliumv2.EgressRule) (endpointSelector, error) {
	if r.PodSelector == nil && r.NamespaceSelector == nil {
		return endpointSelector{}, fmt.Errorf("neither podSelector nor namespaceSelector")
	}
	pods, err := selectorOf(r.PodSelector, "")
	if err != nil {
		return endpointSelector{}, fmt.Errorf("podSelector: %w", err)
	}
	es := endpointSelector{pods: pods, namespaces: slimlabels.Everything()}
	if ns := r.NamespaceSelector; ns != nil {
		if len(ns.MatchLabels)+len(ns.MatchExpressions) == 0 {
			// An empty namespace selector selects every namespace (the label exists).
			ns = &slimv1.LabelSelector{MatchExpressions: []slimv1.LabelSelectorRequirement{
				{Key: k8sconst.PodNamespaceLabel, Operator: slimv1.LabelSelectorOpExists}}}
			es.namespaces, err = selectorOf(ns, "")
		} else {
			es.namespaces, err = selectorOf(ns, k8sconst.PodNamespaceMetaLabelsPrefix)
		}
		if err != nil {
			return endpointSelector{}, fmt.Errorf("namespaceSelector: %w", err)
		}
	}
	return es, nil
}

func (s endpointSelector) matches(l slimlabels.Set) bool {
	return s.pods.Matches(l) && s.namespaces.Matches(l)
}
