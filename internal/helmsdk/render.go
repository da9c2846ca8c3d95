package helmsdk

import (
	"errors"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// Errors returned by this package.
var (
	// ErrNotFound reports that a rendered manifest holds no object of the requested kind and name.
	ErrNotFound = errors.New("helmsdk: object not found in manifest")
)

// DefaultKubeVersion is the Kubernetes version assumed when rendering without a cluster.
const DefaultKubeVersion = "v1.35.3"

// Load loads a chart from a directory or a .tgz archive.
func Load(path string) (*chart.Chart, error) {
	c, err := loader.Load(path)
	if err != nil {
		return nil, fmt.Errorf("helmsdk: load %s: %w", path, err)
	}
	return c, nil
}

// RenderOptions configure Render. The zero value renders release "cilium" in
// "kube-system" for DefaultKubeVersion.
type RenderOptions struct {
	ReleaseName string
	Namespace   string
	KubeVersion string
}

// Manifest is a rendered chart: one YAML document per object.
type Manifest struct {
	// Docs are the rendered objects in Helm's install order.
	Docs []releaseutil.Manifest
}

// Render renders c with values client-side (no cluster), as `helm template` does.
func Render(c *chart.Chart, values map[string]any, opts *RenderOptions) (*Manifest, error) {
	o := RenderOptions{ReleaseName: "cilium", Namespace: "kube-system", KubeVersion: DefaultKubeVersion}
	if opts != nil {
		if opts.ReleaseName != "" {
			o.ReleaseName = opts.ReleaseName
		}
		if opts.Namespace != "" {
			o.Namespace = opts.Namespace
		}
		if opts.KubeVersion != "" {
			o.KubeVersion = opts.KubeVersion
		}
	}
	kv, err := chartutil.ParseKubeVersion(o.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("helmsdk: kube version %q: %w", o.KubeVersion, err)
	}
	inst := action.NewInstall(&action.Configuration{})
	inst.DryRun = true
	inst.ClientOnly = true
	inst.Replace = true
	inst.IncludeCRDs = false
	inst.ReleaseName = o.ReleaseName
	inst.Namespace = o.Namespace
	inst.KubeVersion = kv
	rel, err := inst.Run(c, values)
	if err != nil {
		return nil, fmt.Errorf("helmsdk: render %s %s: %w", c.Name(), c.Metadata.Version, err)
	}
	split := releaseutil.SplitManifests(rel.Manifest)
	_, docs, err := releaseutil.SortManifests(split, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("helmsdk: sort manifests: %w", err)
	}
	return &Manifest{Docs: docs}, nil
}

// Find returns the YAML of the object with the given kind and name.
func (m *Manifest) Find(kind, name string) (string, error) {
	for _, d := range m.Docs {
		if d.Head != nil && d.Head.Kind == kind && d.Head.Metadata != nil && d.Head.Metadata.Name == name {
			return d.Content, nil
		}
	}
	return "", fmt.Errorf("%w: %s %s", ErrNotFound, kind, name)
}

// ConfigMap decodes the ConfigMap of the given name.
func (m *Manifest) ConfigMap(name string) (*corev1.ConfigMap, error) {
	s, err := m.Find("ConfigMap", name)
	if err != nil {
		return nil, err
	}
	cm := new(corev1.ConfigMap)
	if err := yaml.Unmarshal([]byte(s), cm); err != nil {
		return nil, fmt.Errorf("helmsdk: decode ConfigMap %s: %w", name, err)
	}
	return cm, nil
}

// Secret decodes the Secret of the given name.
func (m *Manifest) Secret(name string) (*corev1.Secret, error) {
	s, err := m.Find("Secret", name)
	if err != nil {
		return nil, err
	}
	sec := new(corev1.Secret)
	if err := yaml.Unmarshal([]byte(s), sec); err != nil {
		return nil, fmt.Errorf("helmsdk: decode Secret %s: %w", name, err)
	}
	return sec, nil
}

// Kinds counts the rendered objects by kind, e.g. "DaemonSet" -> 1.
func (m *Manifest) Kinds() map[string]int {
	out := map[string]int{}
	for _, d := range m.Docs {
		if d.Head != nil {
			out[strings.TrimSpace(d.Head.Kind)]++
		}
	}
	return out
}
