package mesh

import (
	"strconv"

	"github.com/cilium/cilium/pkg/annotation"
	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// globalAnnotations returns the annotations that make a service global as g describes.
// AffinityNone is left out rather than written as "none".
func globalAnnotations(g Global) map[string]string {
	m := map[string]string{
		annotation.GlobalService: "true",
		annotation.SharedService: strconv.FormatBool(!g.Unshared),
	}
	if g.Affinity != AffinityNone {
		m[annotation.ServiceAffinity] = g.Affinity.String()
	}
	if g.SyncEndpointSlices != nil {
		m[annotation.GlobalServiceSyncEndpointSlices] = strconv.FormatBool(*g.SyncEndpointSlices)
	}
	return m
}

// SetGlobal makes the Service apply configuration a global service as g describes, adding
// service.cilium.io/global: "true", /shared, and /affinity and
// /global-sync-endpoint-slices when set. With server-side apply, annotations this field
// manager wrote before and g leaves out are removed. It returns svc, or an error wrapping
// ErrInvalidAffinity (svc is then unchanged).
func SetGlobal(svc *corev1ac.ServiceApplyConfiguration, g Global) (*corev1ac.ServiceApplyConfiguration, error) {
	if err := g.Validate(); err != nil {
		return svc, err
	}
	return svc.WithAnnotations(globalAnnotations(g)), nil
}

// SetServiceGlobal makes the plain Service object global as g describes. It also removes
// annotations g leaves out (affinity for AffinityNone, sync when nil) and the legacy
// io.cilium aliases, so the object says one thing once.
func SetServiceGlobal(svc *corev1.Service, g Global) error {
	if err := g.Validate(); err != nil {
		return err
	}
	ClearServiceGlobal(svc)
	if svc.Annotations == nil {
		svc.Annotations = map[string]string{}
	}
	for k, v := range globalAnnotations(g) {
		svc.Annotations[k] = v
	}
	return nil
}

// ClearServiceGlobal removes every global service annotation and legacy alias from svc,
// making it a plain local service.
func ClearServiceGlobal(svc *corev1.Service) {
	for _, k := range serviceKeys {
		delete(svc.Annotations, k.key)
		if k.alias != "" {
			delete(svc.Annotations, k.alias)
		}
	}
}
