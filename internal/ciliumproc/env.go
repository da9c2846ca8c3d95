package ciliumproc

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// podFields are the values a container's env may take from the pod (fieldRef).
type podFields struct {
	name, namespace, uid, ip, node, serviceAccount string
}

// containerEnv resolves c's env as the kubelet does: literal values (with $(VAR) references
// to earlier variables expanded), configMapKeyRef and secretKeyRef (a missing optional key is
// left out), and fieldRef for the pod's metadata and IPs. base holds the variables of the
// image and the kubelet (PATH, HOSTNAME, KUBERNETES_SERVICE_*); the container's own win.
func containerEnv(c *corev1.Container, base map[string]string, f podFields,
	configMaps map[string]*corev1.ConfigMap, secrets map[string]*corev1.Secret) (map[string]string, error) {
	env := make(map[string]string, len(base)+len(c.Env))
	for k, v := range base {
		env[k] = v
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = expand(e.Value, env)
			continue
		}
		v, ok, err := envFrom(e.ValueFrom, f, configMaps, secrets)
		if err != nil {
			return nil, fmt.Errorf("container %s: env %s: %w", c.Name, e.Name, err)
		}
		if ok {
			env[e.Name] = v
		}
	}
	return env, nil
}

func envFrom(src *corev1.EnvVarSource, f podFields, configMaps map[string]*corev1.ConfigMap, secrets map[string]*corev1.Secret) (string, bool, error) {
	optional := func(p *bool) bool { return p != nil && *p }
	switch {
	case src.ConfigMapKeyRef != nil:
		r := src.ConfigMapKeyRef
		if cm := configMaps[r.Name]; cm != nil {
			if v, ok := cm.Data[r.Key]; ok {
				return v, true, nil
			}
		}
		if optional(r.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("key %q of ConfigMap %s not found", r.Key, r.Name)
	case src.SecretKeyRef != nil:
		r := src.SecretKeyRef
		if s := secrets[r.Name]; s != nil {
			if v, ok := s.Data[r.Key]; ok {
				return string(v), true, nil
			}
		}
		if optional(r.Optional) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("key %q of Secret %s not found", r.Key, r.Name)
	case src.FieldRef != nil:
		switch p := src.FieldRef.FieldPath; p {
		case "metadata.name":
			return f.name, true, nil
		case "metadata.namespace":
			return f.namespace, true, nil
		case "metadata.uid":
			return f.uid, true, nil
		case "status.podIP", "status.hostIP":
			return f.ip, true, nil
		case "spec.nodeName":
			return f.node, true, nil
		case "spec.serviceAccountName":
			return f.serviceAccount, true, nil
		default:
			return "", false, fmt.Errorf("fieldRef %q not supported", p)
		}
	}
	return "", false, fmt.Errorf("unsupported valueFrom %+v", src)
}

// expand replaces $(NAME) in s by env's value of NAME, as the kubelet expands command, args
// and env values: $$ is a literal $, an unknown $(NAME) stays as written.
func expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
