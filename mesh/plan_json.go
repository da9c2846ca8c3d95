package mesh

import (
	"encoding/json"
	"fmt"
	"net/netip"

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
// and validates it by planning its clusters again with everything pinned. Parsing is
// strict (unknown fields are errors, wrapping ErrInvalidPlan). maxNodes, identityRange and
// warnings are derived values: ParsePlan recomputes them and ignores the document's.
func ParsePlan(data []byte) (*Plan, error) {
	var doc planJSON
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPlan, err)
	}
	s := Spec{MaxConnectedClusters: doc.MaxConnectedClusters, Clusters: make([]ClusterSpec, len(doc.Clusters))}
	for i, c := range doc.Clusters {
		if c.ID == 0 {
			return nil, fmt.Errorf("%w: cluster %q has no id", ErrInvalidPlan, c.Name)
		}
		if len(c.PodCIDRs) == 0 || len(c.ServiceCIDRs) == 0 {
			return nil, fmt.Errorf("%w: cluster %q lacks pod or service CIDRs", ErrInvalidPlan, c.Name)
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
