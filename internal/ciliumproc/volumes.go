package ciliumproc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// objects are the Secrets and ConfigMaps a pod's volumes and env read, by name.
type objects struct {
	secrets    map[string]*corev1.Secret
	configMaps map[string]*corev1.ConfigMap
}

// materialize writes every volume of spec into dir/<volume name> as the kubelet would
// project it (one file per key or item, with the volume's mode) and returns the directory of
// each volume. An emptyDir is an empty directory. A missing Secret or ConfigMap is an error
// unless the volume source is optional.
func materialize(dir string, spec *corev1.PodSpec, objs objects) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range spec.Volumes {
		vdir := filepath.Join(dir, v.Name)
		if err := os.MkdirAll(vdir, 0o755); err != nil {
			return nil, err
		}
		out[v.Name] = vdir
		var err error
		switch {
		case v.EmptyDir != nil:
		case v.Secret != nil:
			s := v.Secret
			err = objs.writeSecret(vdir, s.SecretName, s.Items, mode(s.DefaultMode, 0o644), s.Optional)
		case v.ConfigMap != nil:
			c := v.ConfigMap
			err = objs.writeConfigMap(vdir, c.Name, c.Items, mode(c.DefaultMode, 0o644), c.Optional)
		case v.Projected != nil:
			m := mode(v.Projected.DefaultMode, 0o644)
			for _, src := range v.Projected.Sources {
				switch {
				case src.Secret != nil:
					err = objs.writeSecret(vdir, src.Secret.Name, src.Secret.Items, m, src.Secret.Optional)
				case src.ConfigMap != nil:
					err = objs.writeConfigMap(vdir, src.ConfigMap.Name, src.ConfigMap.Items, m, src.ConfigMap.Optional)
				default:
					err = fmt.Errorf("unsupported projected source %+v", src)
				}
				if err != nil {
					break
				}
			}
		default:
			err = fmt.Errorf("unsupported volume source")
		}
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
	}
	return out, nil
}

func mode(m *int32, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m)
}

func (o objects) writeSecret(dir, name string, items []corev1.KeyToPath, m os.FileMode, optional *bool) error {
	s := o.secrets[name]
	if s == nil {
		if optional != nil && *optional {
			return nil
		}
		return fmt.Errorf("no Secret %s", name)
	}
	return writeKeys(dir, "Secret "+name, s.Data, items, m)
}

func (o objects) writeConfigMap(dir, name string, items []corev1.KeyToPath, m os.FileMode, optional *bool) error {
	c := o.configMaps[name]
	if c == nil {
		if optional != nil && *optional {
			return nil
		}
		return fmt.Errorf("no ConfigMap %s", name)
	}
	data := make(map[string][]byte, len(c.Data))
	for k, v := range c.Data {
		data[k] = []byte(v)
	}
	return writeKeys(dir, "ConfigMap "+name, data, items, m)
}

// writeKeys writes each key of data as a file named after it, or only items (key -> path).
func writeKeys(dir, what string, data map[string][]byte, items []corev1.KeyToPath, m os.FileMode) error {
	write := func(path string, b []byte, fm os.FileMode) error {
		if strings.Contains(path, "..") || filepath.IsAbs(path) {
			return fmt.Errorf("%s: bad item path %q", what, path)
		}
		p := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, b, fm)
	}
	if len(items) == 0 {
		for k, b := range data {
			if err := write(k, b, m); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return fmt.Errorf("%s has no key %q", what, it.Key)
		}
		if err := write(it.Path, b, mode(it.Mode, m)); err != nil {
			return err
		}
	}
	return nil
}
