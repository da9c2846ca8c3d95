package ciliumproc

import (
	"errors"
	"fmt"

	"helm.sh/helm/v3/pkg/chart"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/internal/helmsdk"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// Rendered is what the real Cilium chart renders for one cluster and the harness uses.
type Rendered struct {
	// Values are the Helm values the chart was rendered with.
	Values map[string]any
	// Manifest is the whole rendered chart.
	Manifest *helmsdk.Manifest
	// Deployment is the clustermesh-apiserver Deployment.
	Deployment *appsv1.Deployment
	// ConfigMaps are the rendered ConfigMaps by name (cilium-config, clustermesh-remote-users).
	ConfigMaps map[string]*corev1.ConfigMap
	// Secrets are the rendered Secrets by name (cilium-kvstoremesh, cilium-clustermesh, and
	// the certificate Secrets when the chart issues them).
	Secrets map[string]*corev1.Secret
	// RBAC are the clustermesh-apiserver ServiceAccount, ClusterRole and ClusterRoleBinding.
	ServiceAccount     *corev1.ServiceAccount
	ClusterRole        *rbacv1.ClusterRole
	ClusterRoleBinding *rbacv1.ClusterRoleBinding
}

// loadChart loads the Cilium chart of the module in go.mod (a fresh copy each call).
func loadChart() (*chart.Chart, error) {
	path, err := testenv.CiliumChartPath()
	if err != nil {
		return nil, err
	}
	return helmsdk.Load(path)
}

// render renders the chart c with vals.
func render(c *chart.Chart, vals map[string]any) (*Rendered, error) {
	m, err := helmsdk.Render(c, vals, &helmsdk.RenderOptions{Namespace: clustermesh.DefaultNamespace})
	if err != nil {
		return nil, err
	}
	r := &Rendered{Values: vals, Manifest: m, ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	r.Deployment = new(appsv1.Deployment)
	if err := decode(m, "Deployment", clustermesh.APIServerName, r.Deployment); err != nil {
		return nil, err
	}
	for _, n := range []string{"cilium-config", "clustermesh-remote-users"} {
		cm, err := m.ConfigMap(n)
		if errors.Is(err, helmsdk.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r.ConfigMaps[n] = cm
	}
	if r.ConfigMaps["cilium-config"] == nil {
		return nil, fmt.Errorf("ciliumproc: rendered chart has no ConfigMap cilium-config")
	}
	for _, n := range []string{clustermesh.SecretKVStoreMesh, clustermesh.SecretClusterMesh, clustermesh.SecretCA,
		clustermesh.SecretServerCert, clustermesh.SecretAdminCert, clustermesh.SecretRemoteCert, clustermesh.SecretLocalCert} {
		s, err := m.Secret(n)
		if errors.Is(err, helmsdk.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// The chart writes base64 under data; decoding the YAML into a Secret yields the bytes.
		r.Secrets[n] = s
	}
	r.ServiceAccount = new(corev1.ServiceAccount)
	r.ClusterRole = new(rbacv1.ClusterRole)
	r.ClusterRoleBinding = new(rbacv1.ClusterRoleBinding)
	for kind, obj := range map[string]any{"ServiceAccount": r.ServiceAccount, "ClusterRole": r.ClusterRole, "ClusterRoleBinding": r.ClusterRoleBinding} {
		if err := decode(m, kind, clustermesh.APIServerName, obj); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func decode(m *helmsdk.Manifest, kind, name string, into any) error {
	s, err := m.Find(kind, name)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal([]byte(s), into); err != nil {
		return fmt.Errorf("ciliumproc: decode rendered %s %s: %w", kind, name, err)
	}
	return nil
}

// container returns the init container or container called name of the pod spec.
func (r *Rendered) container(name string) (*corev1.Container, bool) {
	spec := &r.Deployment.Spec.Template.Spec
	for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i], true
			}
		}
	}
	return nil, false
}
