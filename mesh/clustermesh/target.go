package clustermesh

import (
	"fmt"

	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/kubecfg"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// Defaults of a Target.
const (
	// DefaultRelease is the Helm release name of Cilium.
	DefaultRelease = "cilium"
	// DefaultNamespace is the namespace Cilium is installed in.
	DefaultNamespace = "kube-system"
)

// Target is one cluster to enable, connect or inspect: its mesh identity, how to reach
// its API server, and how Cilium is installed in it.
type Target struct {
	// Cluster is the cluster's name and ID (cluster.name, cluster.id).
	Cluster mesh.Cluster
	// Config reaches the cluster's API server with rights to manage Cilium's release.
	Config *rest.Config
	// Release is the Helm release name; default DefaultRelease ("cilium").
	Release string
	// Namespace is the release and Cilium namespace; default DefaultNamespace ("kube-system").
	Namespace string
	// Chart is the loaded Cilium chart; if nil, ChartPath is loaded.
	Chart *chart.Chart
	// ChartPath is a chart directory or .tgz, used when Chart is nil.
	ChartPath string
	// Values are the platform's own Helm values. The mesh values are merged over them:
	// the keys ciliumkit sets win, every other key is kept.
	Values map[string]any
}

func (t *Target) release() string {
	if t.Release == "" {
		return DefaultRelease
	}
	return t.Release
}

func (t *Target) namespace() string {
	if t.Namespace == "" {
		return DefaultNamespace
	}
	return t.Namespace
}

func (t *Target) kube() (kubernetes.Interface, error) {
	if t.Config == nil {
		return nil, fmt.Errorf("%w: cluster %q has no REST config", ErrTarget, t.Cluster.Name)
	}
	k, err := kubernetes.NewForConfig(kubecfg.Quiet(t.Config))
	if err != nil {
		return nil, fmt.Errorf("%w: cluster %q: %v", ErrTarget, t.Cluster.Name, err)
	}
	return k, nil
}

func (t *Target) chart() (*chart.Chart, error) {
	if t.Chart != nil {
		return t.Chart, nil
	}
	if t.ChartPath == "" {
		return nil, fmt.Errorf("%w: cluster %q has neither Chart nor ChartPath", ErrTarget, t.Cluster.Name)
	}
	c, err := helmsdk.Load(t.ChartPath)
	if err != nil {
		return nil, fmt.Errorf("%w: cluster %q: %w", ErrTarget, t.Cluster.Name, err)
	}
	return c, nil
}
