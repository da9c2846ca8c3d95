package mesh

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"

	"sigs.k8s.io/yaml"
)

// planJSON is the document form of a Plan (the meshplan -o json output).
type planJSON struct {
	MaxConnectedClusters int           `json:"maxConnectedClusters"`
	Clusters             []clusterJSON `json:"clusters"`
	Warnings             []string      `json:"warnings"`
}

type clusterJSON struct {
	Name          string         `json:"name"`
	ID            uint32         `json:"id"`
	NodeCIDRs     []netip.Prefix `json:"nodeCIDRs"`
	PodCIDRs      []netip.Prefix `json:"podCIDRs"`
	ServiceCIDRs  []netip.Prefix `json:"serviceCIDRs"`
	NodeMaskSize  maskSizeJSON   `json:"nodeMaskSize"`
	MaxNodes      int            `json:"maxNodes"`
	IdentityRange identityJSON   `json:"identityRange"`
}

type maskSizeJSON struct {
	IPv4 int `json:"ipv4,omitempty"`
	IPv6 int `json:"ipv6,omitempty"`
}

type identityJSON struct {
	First uint32 `json:"first"`
	Last  uint32 `json:"last"`
}

func nonNil(ps []netip.Prefix) []netip.Prefix {
	if ps == nil {
		return []netip.Prefix{}
	}
	return ps
}

// MarshalJSON returns the plan document: maxConnectedClusters, the clusters in spec order
// (name, id, nodeCIDRs, podCIDRs, serviceCIDRs, nodeMaskSize {ipv4, ipv6}, maxNodes as the
// node capacity of the pod ranges, identityRange {first, last}) and the warnings as
// strings. ParsePlan reads it back.
func (p *Plan) MarshalJSON() ([]byte, error) {
	doc := planJSON{
		MaxConnectedClusters: p.maxConnected,
		Clusters:             make([]clusterJSON, len(p.clusters)),
		Warnings:             make([]string, len(p.warnings)),
	}
	for i, c := range p.clusters {
		doc.Clusters[i] = clusterJSON{
			Name:          c.Name,
			ID:            c.ID,
			NodeCIDRs:     nonNil(c.NodeCIDRs),
			PodCIDRs:      nonNil(c.PodCIDRs),
			ServiceCIDRs:  nonNil(c.ServiceCIDRs),
			NodeMaskSize:  maskSizeJSON{c.NodeMaskSize, c.NodeMaskSizeV6},
			MaxNodes:      c.Capacity.MaxNodes,
			IdentityRange: identityJSON{c.Identities.First, c.Identities.Last},
		}
	}
	for i, w := range p.warnings {
		doc.Warnings[i] = w.Error()
	}
	return json.Marshal(doc)
}

// ParsePlan reads a plan document (JSON as MarshalJSON writes it, or the same in YAML)
// and validates it by planning its clusters again with everything pinned. Parsing is as
// strict as ParseSpec's (size limit MaxSpecSize, one document, unknown fields, duplicate
// and case-variant keys), with errors wrapping ErrInvalidPlan. Every cluster needs an id
// and pod CIDRs; serviceCIDRs may be empty (service ranges are optional). maxNodes,
// identityRange and warnings are derived values: ParsePlan recomputes them and ignores
// the document's.
func ParsePlan(data []byte) (*Plan, error) {
	if err := checkDocument(data, reflect.TypeFor[planJSON](), ErrInvalidPlan); err != nil {
		return nil, err
	}
	var doc planJSON
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidPlan, clip(err.Error()))
	}
	s := Spec{MaxConnectedClusters: doc.MaxConnectedClusters, Clusters: make([]ClusterSpec, len(doc.Clusters))}
	for i, c := range doc.Clusters {
		if c.ID == 0 {
			return nil, fmt.Errorf("%w: cluster %s has no id", ErrInvalidPlan, quote(c.Name))
		}
		if len(c.PodCIDRs) == 0 {
			return nil, fmt.Errorf("%w: cluster %s has no pod CIDRs", ErrInvalidPlan, quote(c.Name))
		}
		s.Clusters[i] = ClusterSpec{
			Name: c.Name, ID: c.ID,
			NodeCIDRs: c.NodeCIDRs, PodCIDRs: c.PodCIDRs, ServiceCIDRs: c.ServiceCIDRs,
			NodeMaskSize: c.NodeMaskSize.IPv4, NodeMaskSizeV6: c.NodeMaskSize.IPv6,
		}
	}
	p, err := NewPlan(s, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidPlan, err)
	}
	return p, nil
}
