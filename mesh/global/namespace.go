package global

import (
	"strconv"

	"github.com/cilium/cilium/pkg/annotation"
	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// FromNamespace reports whether ClusterMesh exports the namespace's global services and
// identities: the namespace annotation clustermesh.cilium.io/global ("true" or "false", any
// case) when set, else defaultGlobal (the agent option clustermesh-default-global-namespace,
// true by default in Cilium 1.19). Any other value is an error naming the namespace, the
// key and the value, wrapping ErrInvalidAnnotation.
func FromNamespace(ns *corev1.Namespace, defaultGlobal bool) (bool, error) {
	if ns == nil {
		return defaultGlobal, nil
	}
	v, ok := ns.Annotations[annotation.GlobalNamespace]
	if !ok {
		return defaultGlobal, nil
	}
	return parseBoolAnnotation("namespace", ns.Name, annotation.GlobalNamespace, v)
}

// SetNamespace sets clustermesh.cilium.io/global on the Namespace apply
// configuration and returns it.
func SetNamespace(ns *corev1ac.NamespaceApplyConfiguration, global bool) *corev1ac.NamespaceApplyConfiguration {
	return ns.WithAnnotations(map[string]string{annotation.GlobalNamespace: strconv.FormatBool(global)})
}
