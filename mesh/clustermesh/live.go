package clustermesh

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/mesh"
)

// ConfigMapName is the ConfigMap the Cilium chart renders its agent configuration into.
const ConfigMapName = "cilium-config"

// LiveCluster is what a running cluster says about its Cilium: identity, mesh settings,
// the release and its values. Read it with ReadCluster.
type LiveCluster struct {
	// Name and ID are the cluster's identity: cluster.name and cluster.id of the release
	// values, else cluster-name and cluster-id of cilium-config. Cilium's unset state is
	// the name "default" and ID 0.
	Name string
	ID   uint32
	// MaxConnectedClusters is clustermesh.maxConnectedClusters (values) or
	// max-connected-clusters (cilium-config); 255 when neither sets it.
	MaxConnectedClusters int
	// Release and Namespace locate the Helm release; Installed is false when there is no
	// release (Cilium may still run, installed by other means: then only cilium-config
	// is read).
	Release, Namespace string
	Installed          bool
	// ChartVersion is the deployed chart's version, "" without a release.
	ChartVersion string
	// Values are the release's user-supplied values (not the chart defaults). Read only.
	Values map[string]any
	// Config is the cilium-config ConfigMap's data, nil when it does not exist. Read only.
	Config map[string]string
	// Peers are the clusters the cluster is configured to connect to (the entries of the
	// cilium-clustermesh Secret), sorted.
	Peers []string
	// PodCIDRs are the cluster-pool pod ranges of cilium-config
	// (cluster-pool-ipv4-cidr, cluster-pool-ipv6-cidr).
	PodCIDRs []netip.Prefix
	// NodeMaskSize and NodeMaskSizeV6 are the per-node pod CIDR lengths of cilium-config
	// (cluster-pool-ipv4-mask-size, cluster-pool-ipv6-mask-size), 0 when unset.
	NodeMaskSize, NodeMaskSizeV6 int
}

// Cluster returns the identity as a mesh.Cluster.
func (l *LiveCluster) Cluster() mesh.Cluster { return mesh.Cluster{Name: l.Name, ID: l.ID} }

// IdentitySet reports whether the cluster has an identity of its own, i.e. not Cilium's
// unset state (name "default" or empty, ID 0).
func (l *LiveCluster) IdentitySet() bool {
	return l.ID != 0 || (l.Name != "" && l.Name != mesh.DefaultClusterName)
}

// ClusterSpec returns the cluster as a mesh spec entry that pins what is running: its
// ID, pod ranges and node mask sizes. A plan built from the specs of running clusters
// (mesh.NewPlan) keeps their IDs and ranges and assigns only what new clusters lack.
func (l *LiveCluster) ClusterSpec() mesh.ClusterSpec {
	return mesh.ClusterSpec{Name: l.Name, ID: l.ID, PodCIDRs: append([]netip.Prefix(nil), l.PodCIDRs...),
		NodeMaskSize: l.NodeMaskSize, NodeMaskSizeV6: l.NodeMaskSizeV6}
}

// ReadOptions locate Cilium in a cluster. The zero value means release DefaultRelease in
// namespace DefaultNamespace.
type ReadOptions struct {
	// Release is the Helm release name; default DefaultRelease.
	Release string
	// Namespace is the release and Cilium namespace; default DefaultNamespace.
	Namespace string
}

// ReadCluster reads the Cilium of the cluster cfg reaches: its Helm release (values and
// chart version), cilium-config and the cilium-clustermesh Secret. It writes nothing. A
// cluster with neither a release nor cilium-config is an error wrapping ErrTarget.
func ReadCluster(ctx context.Context, cfg *rest.Config, opts *ReadOptions) (*LiveCluster, error) {
	t := Target{Config: cfg}
	if opts != nil {
		t.Release, t.Namespace = opts.Release, opts.Namespace
	}
	kube, err := t.kube()
	if err != nil {
		return nil, err
	}
	return readLive(ctx, kube, t)
}

func readLive(ctx context.Context, kube kubernetes.Interface, t Target) (*LiveCluster, error) {
	l := &LiveCluster{Release: t.release(), Namespace: t.namespace(), MaxConnectedClusters: mesh.MaxConnected255}
	where := fmt.Sprintf("release %s/%s", l.Namespace, l.Release)
	vals, version, _, found, err := helmsdk.DeployedValues(t.Config, l.Namespace, l.Release)
	if err != nil {
		return nil, err
	}
	l.Installed, l.ChartVersion, l.Values = found, version, vals
	cm, err := kube.CoreV1().ConfigMaps(l.Namespace).Get(ctx, ConfigMapName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if !found {
			return nil, fmt.Errorf("%w: %s: no Helm release and no ConfigMap %s/%s: is Cilium installed?", ErrTarget, where, l.Namespace, ConfigMapName)
		}
	case err != nil:
		return nil, fmt.Errorf("%s: read ConfigMap %s/%s: %w", where, l.Namespace, ConfigMapName, err)
	default:
		l.Config = cm.Data
	}
	if err := l.identity(cm); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	_, l.Peers, err = readPeers(ctx, kube, t, SecretClusterMesh)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// identity fills Name, ID, MaxConnectedClusters and the pod ranges from the values, then
// from cilium-config. The two disagreeing is an error naming both.
func (l *LiveCluster) identity(cm *corev1.ConfigMap) error {
	cfg := map[string]string{}
	if cm != nil {
		cfg = cm.Data
	}
	l.Name = cfg["cluster-name"]
	if v, ok := valueAt(l.Values, "cluster", "name"); ok {
		n := fmt.Sprint(v)
		if cfg["cluster-name"] != "" && n != cfg["cluster-name"] {
			return fmt.Errorf("%w: values say cluster.name %q, cilium-config says cluster-name %q", ErrIdentityChange, n, cfg["cluster-name"])
		}
		l.Name = n
	}
	id, err := uintField(cfg, "cluster-id")
	if err != nil {
		return err
	}
	l.ID = uint32(id)
	if v, ok := valueAt(l.Values, "cluster", "id"); ok {
		f, ok := normal(v).(float64)
		if !ok || f < 0 || f > mesh.MaxConnected511 || f != float64(uint32(f)) {
			return fmt.Errorf("%w: values say cluster.id %v", ErrIdentityChange, v)
		}
		if _, set := cfg["cluster-id"]; set && uint32(f) != l.ID {
			return fmt.Errorf("%w: values say cluster.id %v, cilium-config says cluster-id %d", ErrIdentityChange, v, l.ID)
		}
		l.ID = uint32(f)
	}
	if m, err := uintField(cfg, "max-connected-clusters"); err != nil {
		return err
	} else if m != 0 {
		l.MaxConnectedClusters = int(m)
	}
	if v, ok := valueAt(l.Values, "clustermesh", "maxConnectedClusters"); ok {
		if f, ok := normal(v).(float64); ok {
			l.MaxConnectedClusters = int(f)
		}
	}
	for _, k := range []string{"cluster-pool-ipv4-cidr", "cluster-pool-ipv6-cidr"} {
		for _, s := range strings.Fields(strings.ReplaceAll(cfg[k], ",", " ")) {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return fmt.Errorf("cilium-config %s: %q: %w", k, s, err)
			}
			l.PodCIDRs = append(l.PodCIDRs, p)
		}
	}
	m4, err := uintField(cfg, "cluster-pool-ipv4-mask-size")
	if err != nil {
		return err
	}
	m6, err := uintField(cfg, "cluster-pool-ipv6-mask-size")
	if err != nil {
		return err
	}
	l.NodeMaskSize, l.NodeMaskSizeV6 = int(m4), int(m6)
	return nil
}

func uintField(cfg map[string]string, key string) (uint64, error) {
	s, ok := cfg[key]
	if !ok || s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("cilium-config %s: %q is not a number", key, s)
	}
	return v, nil
}
