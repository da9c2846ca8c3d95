package lb

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// BackendLines returns the selection as the Backend column of
// `cilium service list --clustermesh-affinity` prints it, one line per backend:
// "2 => 10.0.0.239:8181 (active) (preferred)" — the backend's cluster ID, its address and
// port, its state, and "(preferred)" when the affinity prefers it. Cilium itself numbers
// the lines by position (1, 2, ...), which readers of two-cluster outputs take for the
// cluster ID; the cluster ID is printed here, and the address without Cilium 1.19's
// "/TCP" suffix, as in the older outputs users compare with.
func (s Selection) BackendLines() []string {
	out := make([]string, 0, len(s.Backends))
	for _, b := range s.Backends {
		line := fmt.Sprintf("%d => %s (%s)", b.ClusterID, b.Addr, b.State)
		if b.Preferred {
			line += " (preferred)"
		}
		out = append(out, line)
	}
	return out
}

// ServiceRow is one service of a service list: its numeric ID, frontend, type and
// selected backends.
type ServiceRow struct {
	// ID is the service ID Cilium shows in the first column.
	ID uint32
	// Frontend is the VIP and port; the protocol is not printed.
	Frontend Frontend
	// Type is the service type column, e.g. "ClusterIP".
	Type string
	// Selection is the result of Select for the service.
	Selection Selection
}

// FormatServiceList writes rows as a table in the layout of
// `cilium service list --clustermesh-affinity`: a header "ID Frontend Service Type
// Backend", then per service its first backend on the service's line and the others on
// continuation lines. Rows are written in the order given.
func FormatServiceList(w io.Writer, rows []ServiceRow) error {
	tw := tabwriter.NewWriter(w, 5, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "ID\tFrontend\tService Type\tBackend")
	for _, r := range rows {
		lines := r.Selection.BackendLines()
		first := ""
		if len(lines) > 0 {
			first = lines[0]
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, r.Frontend.Addr, r.Type, first)
		for _, l := range lines[min(1, len(lines)):] {
			fmt.Fprintf(tw, "\t\t\t%s\n", l)
		}
	}
	return tw.Flush()
}

// String returns the backend lines joined by newlines.
func (s Selection) String() string { return strings.Join(s.BackendLines(), "\n") }
