package clustermesh

import (
	"errors"
	"fmt"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// Preflight checks that targets can form a mesh under o, without touching any cluster:
// at least two targets; names valid and unique; IDs valid and unique; one
// maxConnectedClusters for all (the options' value and any value in a target's own
// Values agree); a target's Values that set cluster.name or cluster.id agree with its
// Cluster; the topology fits (Pair needs exactly two clusters, OneWay is refused
// under AuthCluster); each chart loads and its version is in SupportedChartVersions. It
// returns every problem at once, joined, each wrapping ErrPreflight.
func Preflight(targets []Target, o *ConnectOptions) error {
	_, err := preflight(targets, o, true)
	return err
}

// preflight is Preflight; without connect (for Enable) one target suffices and the
// topology is not checked. It also returns the chart of each target, loaded once here
// so that Connect does not load it again.
func preflight(targets []Target, o *ConnectOptions, connect bool) ([]*chart.Chart, error) {
	if o == nil {
		o = &ConnectOptions{}
	}
	en := o.Enable.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrPreflight}, args...)...))
	}
	if connect && len(targets) < 2 {
		bad("%d clusters given, a mesh needs at least 2", len(targets))
	}
	if len(targets) == 0 {
		bad("no clusters given")
	}
	if connect && o.Topology == Pair && len(targets) != 2 {
		bad("topology %s needs exactly 2 clusters, got %d", o.Topology, len(targets))
	}
	if connect && (o.Topology < FullMesh || o.Topology > OneWay) {
		bad("unknown topology %d", int(o.Topology))
	}
	if connect && o.Topology == OneWay && en.AuthMode == AuthCluster {
		bad("topology %s cannot work with tls.authMode %q: a cluster admits only the peers it connects to", o.Topology, AuthCluster)
	}
	if err := mesh.ValidateMaxConnectedClusters(en.MaxConnectedClusters); err != nil {
		bad("%v", err)
	}
	charts := make([]*chart.Chart, len(targets))
	names := map[string]int{}
	ids := map[uint32]string{}
	for i, t := range targets {
		c := t.Cluster
		if err := c.Validate(en.MaxConnectedClusters); err != nil {
			bad("target %d: %v", i, err)
		}
		if j, dup := names[c.Name]; dup {
			bad("cluster name %q used by targets %d and %d", c.Name, j, i)
		}
		names[c.Name] = i
		if other, dup := ids[c.ID]; dup && c.ID != 0 {
			bad("cluster ID %d used by %q and %q", c.ID, other, c.Name)
		}
		ids[c.ID] = c.Name
		if v, ok := valueAt(t.Values, "clustermesh", "maxConnectedClusters"); ok && fmt.Sprint(v) != fmt.Sprint(en.MaxConnectedClusters) {
			bad("cluster %q: Values set clustermesh.maxConnectedClusters %v, the mesh uses %d", c.Name, v, en.MaxConnectedClusters)
		}
		if v, ok := valueAt(t.Values, "cluster", "name"); ok && fmt.Sprint(v) != c.Name {
			bad("cluster %q: Values set cluster.name %q; the target's cluster is the one source of identity", c.Name, fmt.Sprint(v))
		}
		if v, ok := valueAt(t.Values, "cluster", "id"); ok && fmt.Sprint(normal(v)) != fmt.Sprint(float64(c.ID)) {
			bad("cluster %q: Values set cluster.id %v, the target says %d; the target's cluster is the one source of identity", c.Name, v, c.ID)
		}
		if t.Config == nil {
			bad("cluster %q: no REST config", c.Name)
		}
		ch, err := t.chart()
		if err != nil {
			bad("%v", err)
			continue
		}
		if _, err := CheckChartVersion(ch.Metadata.Version); err != nil {
			bad("cluster %q: %v", c.Name, err)
		}
		charts[i] = ch
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return charts, nil
}
