package mesh

import (
	"fmt"
	"net/netip"
	"strings"
)

// Mermaid returns a Mermaid flowchart of the plan: one box per cluster (name, ID and
// identity range) holding its node, pod and service ranges, all joined to the mesh.
func (p *Plan) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	fmt.Fprintf(&b, "  mesh((\"mesh<br/>maxConnectedClusters %d\"))\n", p.maxConnected)
	for _, c := range p.clusters {
		id := fmt.Sprintf("c%d", c.ID)
		fmt.Fprintf(&b, "  subgraph %s[\"%s · id %d · identities %d-%d\"]\n", id, c.Name, c.ID, c.Identities.First, c.Identities.Last)
		for _, r := range []struct {
			suffix, label string
			ps            []netip.Prefix
		}{{"n", "nodes", c.NodeCIDRs}, {"p", "pods", c.PodCIDRs}, {"s", "services", c.ServiceCIDRs}} {
			if len(r.ps) == 0 {
				continue
			}
			fmt.Fprintf(&b, "    %s%s[\"%s<br/>%s\"]\n", id, r.suffix, r.label, joinPrefixes(r.ps, "<br/>"))
		}
		b.WriteString("  end\n")
		fmt.Fprintf(&b, "  mesh --- %s\n", id)
	}
	return b.String()
}

func joinPrefixes(ps []netip.Prefix, sep string) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, sep)
}
