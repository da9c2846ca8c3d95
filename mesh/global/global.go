package global

import (
	"fmt"
	"strings"

	"github.com/cilium/cilium/pkg/annotation"
	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// serviceKeys lists each global service annotation with its legacy io.cilium alias ("" when
// it has none).
var serviceKeys = [...]struct{ key, alias string }{
	{annotation.GlobalService, annotation.GlobalServiceAlias},
	{annotation.SharedService, annotation.SharedServiceAlias},
	{annotation.ServiceAffinity, annotation.ServiceAffinityAlias},
	{annotation.GlobalServiceSyncEndpointSlices, ""},
}

// FromService reads the global service annotations of svc, and their legacy io.cilium
// aliases. It returns nil when the service is not global. Unlike Cilium, which reads any
// unknown value as false or none, an invalid value is an error naming the service, the
// key and the value (wrapping ErrInvalidAnnotation), and so is an annotation whose alias
// disagrees with it (ErrConflictingAnnotations). Values are case-insensitive.
func FromService(svc *corev1.Service) (*lb.Global, error) {
	if svc == nil {
		return nil, nil
	}
	return Parse(svc.Namespace+"/"+svc.Name, svc.Annotations)
}

// FromApplyConfiguration is FromService for a Service apply configuration.
func FromApplyConfiguration(svc *corev1ac.ServiceApplyConfiguration) (*lb.Global, error) {
	if svc == nil || svc.ObjectMetaApplyConfiguration == nil {
		return nil, nil
	}
	var ns, name string
	if svc.Namespace != nil {
		ns = *svc.Namespace
	}
	if svc.Name != nil {
		name = *svc.Name
	}
	return Parse(ns+"/"+name, svc.Annotations)
}

// Parse reads the global service annotations from a Service's annotation
// map; object names the service in errors ("namespace/name"). It returns nil when the
// service is not global. Shared, affinity and sync values are checked even then. A
// literal affinity "none" (any case) is AffinityNone with LiteralNone set: its Warning
// says that Cilium 1.18.6 to 1.19.3 route such a service to local backends only.
func Parse(object string, annotations map[string]string) (*lb.Global, error) {
	var vals [len(serviceKeys)]string
	var set [len(serviceKeys)]bool
	for i, k := range serviceKeys {
		v, ok, err := lookup(object, annotations, k.key, k.alias)
		if err != nil {
			return nil, err
		}
		vals[i], set[i] = v, ok
	}
	global, err := parseBool(object, serviceKeys[0].key, vals[0], set[0], false)
	if err != nil {
		return nil, err
	}
	shared, err := parseBool(object, serviceKeys[1].key, vals[1], set[1], true)
	if err != nil {
		return nil, err
	}
	aff, err := lb.ParseAffinity(vals[2])
	if err != nil {
		return nil, fmt.Errorf("service %s: annotation %s=%q: %w", object, serviceKeys[2].key, vals[2], err)
	}
	g := lb.Global{Affinity: aff, Unshared: !shared, LiteralNone: strings.EqualFold(vals[2], "none")}
	if set[3] {
		sync, err := parseBool(object, serviceKeys[3].key, vals[3], true, false)
		if err != nil {
			return nil, err
		}
		g.SyncEndpointSlices = &sync
	}
	if !global {
		return nil, nil
	}
	return &g, nil
}

// lookup returns the value of key, else of alias. Both set and different (ignoring case)
// is an error.
func lookup(object string, annotations map[string]string, key, alias string) (string, bool, error) {
	v, ok := annotations[key]
	if alias == "" {
		return v, ok, nil
	}
	av, aok := annotations[alias]
	switch {
	case ok && aok && !strings.EqualFold(v, av):
		return "", false, fmt.Errorf("service %s: %w: %s=%q, %s=%q", object, ErrConflictingAnnotations, key, v, alias, av)
	case ok:
		return v, true, nil
	case aok:
		return av, true, nil
	}
	return "", false, nil
}

// parseBool accepts "true" and "false" in any case; unset returns def.
func parseBool(object, key, v string, set, def bool) (bool, error) {
	if !set {
		return def, nil
	}
	return parseBoolAnnotation("service", object, key, v)
}

// parseBoolAnnotation accepts "true" and "false" in any case; anything else is an error
// naming the kind of object ("service", "namespace"), the object, the key and the value.
func parseBoolAnnotation(kind, object, key, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%s %s: annotation %s=%q: %w: want \"true\" or \"false\"", kind, object, key, v, ErrInvalidAnnotation)
}
