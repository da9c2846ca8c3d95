package mesh

import (
	"fmt"
	"net/netip"
)

// HelmValues returns the Cilium chart values the plan fixes for the named cluster, to
// merge into the platform's own values:
//
//	cluster.name, cluster.id
//	clustermesh.maxConnectedClusters
//	ipam.mode: cluster-pool
//	ipam.operator.clusterPoolIPv4PodCIDRList / clusterPoolIPv4MaskSize (with IPv4)
//	ipam.operator.clusterPoolIPv6PodCIDRList / clusterPoolIPv6MaskSize (with IPv6)
//	ipv4.enabled, ipv6.enabled
//
// Service ranges are not chart values (they are the kube-apiserver's
// --service-cluster-ip-range), so none is written, whether the plan has them or not.
//
// Lists are []any of strings and numbers are int, as Helm reads them from YAML. It returns
// an error wrapping ErrClusterNotPlanned for an unknown name.
func (p *Plan) HelmValues(name string) (map[string]any, error) {
	i, ok := p.index[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrClusterNotPlanned, quote(name))
	}
	c := &p.clusters[i]
	v4, v6 := c.PodCIDRsOf(false), c.PodCIDRsOf(true)
	operator := map[string]any{}
	if len(v4) > 0 {
		operator["clusterPoolIPv4PodCIDRList"] = prefixStrings(v4)
		operator["clusterPoolIPv4MaskSize"] = c.NodeMaskSize
	}
	if len(v6) > 0 {
		operator["clusterPoolIPv6PodCIDRList"] = prefixStrings(v6)
		operator["clusterPoolIPv6MaskSize"] = c.NodeMaskSizeV6
	}
	return map[string]any{
		"cluster":     map[string]any{"name": c.Name, "id": int(c.ID)},
		"clustermesh": map[string]any{"maxConnectedClusters": p.maxConnected},
		"ipam":        map[string]any{"mode": "cluster-pool", "operator": operator},
		"ipv4":        map[string]any{"enabled": len(v4) > 0},
		"ipv6":        map[string]any{"enabled": len(v6) > 0},
	}, nil
}

func prefixStrings(ps []netip.Prefix) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
