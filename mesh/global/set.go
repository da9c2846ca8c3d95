package global

import (
	"strconv"

	"github.com/cilium/cilium/pkg/annotation"
	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// globalAnnotations returns the annotations that make a service global as g describes.
// lb.AffinityNone is left out rather than written as "none".
func globalAnnotations(g lb.Global) map[string]string {
	m := map[string]string{
		annotation.GlobalService: "true",
		annotation.SharedService: strconv.FormatBool(!g.Unshared),
	}
	if g.Affinity != lb.AffinityNone {
		m[annotation.ServiceAffinity] = g.Affinity.String()
	}
	if g.SyncEndpointSlices != nil {
		m[annotation.GlobalServiceSyncEndpointSlices] = strconv.FormatBool(*g.SyncEndpointSlices)
	}
	return m
}

// Set makes the Service apply configuration a global service as g describes, adding
// service.cilium.io/global: "true", /shared, and /affinity and
// /global-sync-endpoint-slices when set. With server-side apply, annotations this field
// manager wrote before and g leaves out are removed. It returns svc, or an error wrapping
// lb.ErrInvalidAffinity (svc is then unchanged).
func Set(svc *corev1ac.ServiceApplyConfiguration, g lb.Global) (*corev1ac.ServiceApplyConfiguration, error) {
	if err := g.Validate(); err != nil {
		return svc, err
	}
	return svc.WithAnnotations(globalAnnotations(g)), nil
}

// SetService makes the plain Service object global as g describes. It also removes
// annotations g leaves out (affinity for lb.AffinityNone, sync when nil) and the legacy
// io.cilium aliases, so the object says one thing once.
func SetService(svc *corev1.Service, g lb.Global) error {
	if err := g.Validate(); err != nil {
		return err
	}
	ClearService(svc)
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	for k, v := range globalAnnotations(g) {
		svc.Annotations[k] = v
	}
	return nil
}

// ClearService removes every global service annotation and legacy alias from svc,
// making it a plain local service.
func ClearService(svc *corev1.Service) {
	for _, k := range serviceKeys {
		delete(svc.Annotations, k.key)
		if k.alias != "" {
			delete(svc.Annotations, k.alias)
		}
	}
}
