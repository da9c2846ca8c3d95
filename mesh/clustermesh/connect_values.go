package clustermesh

import (
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// Chart versions.
const (
	// SupportedChartVersions is the semver range of Cilium charts whose clustermesh
	// values ciliumkit knows (1.16 to 1.19, pre-releases included).
	SupportedChartVersions = ">= 1.16.0-0, < 1.20.0-0"
	// ChartDictClustersVersion is the first chart that takes clustermesh.config.clusters
	// as a dict keyed by cluster name; older charts take a list of entries with "name".
	ChartDictClustersVersion = "1.19.0-0"
)

// CheckChartVersion parses a chart version and checks it against SupportedChartVersions.
// It reports whether the chart takes the dict form of clustermesh.config.clusters.
func CheckChartVersion(version string) (dictClusters bool, err error) {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false, fmt.Errorf("%w: %q: %v", ErrUnsupportedChart, version, err)
	}
	supported, _ := semver.NewConstraint(SupportedChartVersions)
	if !supported.Check(v) {
		return false, fmt.Errorf("%w: %s, want %s", ErrUnsupportedChart, version, SupportedChartVersions)
	}
	dict, _ := semver.NewConstraint(">= " + ChartDictClustersVersion)
	return dict.Check(v), nil
}

// ConnectValues returns the Helm values that connect a cluster to peers (peer cluster
// name -> how to reach it): clustermesh.config.enabled and clustermesh.config.clusters,
// as a list of entries with "name", sorted by name. Every supported chart takes the list
// (1.19 also takes a map keyed by name, but its default is a list, and Helm warns on the
// process's global log when a map overrides it). Each entry has port and either ips (the
// agent then dials <name>.mesh.cilium.io, mapped to the IPs by host aliases) or address
// (a hostname). No peers gives an empty list.
func ConnectValues(chartVersion string, peers map[string]*Access) (map[string]any, error) {
	if _, err := CheckChartVersion(chartVersion); err != nil {
		return nil, err
	}
	for n := range peers {
		if err := mesh.ValidateClusterName(n); err != nil {
			return nil, err
		}
	}
	return map[string]any{"clustermesh": map[string]any{"config": map[string]any{
		"enabled":  true,
		"clusters": mergePeers(nil, peers),
	}}}, nil
}
