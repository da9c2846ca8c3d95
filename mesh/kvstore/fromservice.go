package kvstore

import (
	"fmt"
	"maps"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/global"
)

// FromService builds the ClusterService cluster c exports for svc and its EndpointSlices,
// as Cilium's operator does: only a global, shared service is exported (ok false
// otherwise); frontends are the ClusterIPs with the Service's ports (none for a headless
// service); backends are the addresses of endpoints that are ready or serving, with the
// slice's ports, hostnames and zones. Slices of other services are ignored. The namespace
// annotation (global.FromNamespace) is the caller's to check. Addresses are written as
// the API server stored them, as Cilium writes them. Invalid annotations, addresses that
// are not IPs and ports Cilium would not write are errors naming the service.
func FromService(c mesh.Cluster, svc *corev1.Service, slices []*discoveryv1.EndpointSlice) (cs *ClusterService, ok bool, err error) {
	g, err := global.FromService(svc)
	if err != nil || g == nil || g.Unshared {
		return nil, false, err
	}
	cs = NewClusterService(c, svc.Namespace, svc.Name)
	maps.Copy(cs.Labels, svc.Labels)
	maps.Copy(cs.Selector, svc.Spec.Selector)
	_, headlessLabel := svc.Labels[corev1.IsHeadlessService]
	if svc.Spec.ClusterIP != corev1.ClusterIPNone && !headlessLabel {
		ips := svc.Spec.ClusterIPs
		if len(ips) == 0 && svc.Spec.ClusterIP != "" {
			ips = []string{svc.Spec.ClusterIP}
		}
		for _, ip := range ips {
			a, err := checkAddr(svc, "clusterIP", ip)
			if err != nil {
				return nil, false, err
			}
			pc := PortConfiguration{}
			for _, p := range svc.Spec.Ports {
				pc[p.Name] = &L4Addr{Protocol: protocol(p.Protocol), Port: uint16(p.Port)}
			}
			cs.Frontends[a] = pc
		}
	}
	for _, sl := range slices {
		if sl.Namespace != svc.Namespace || sl.Labels[discoveryv1.LabelServiceName] != svc.Name {
			continue
		}
		pc := PortConfiguration{}
		for _, p := range sl.Ports {
			if p.Port == nil {
				continue
			}
			var name string
			if p.Name != nil {
				name = *p.Name
			}
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			pc[name] = &L4Addr{Protocol: protocol(proto), Port: uint16(*p.Port)}
		}
		for _, ep := range sl.Endpoints {
			if !usable(ep.Conditions) {
				continue
			}
			for _, addr := range ep.Addresses {
				a, err := checkAddr(svc, "endpoint", addr)
				if err != nil {
					return nil, false, err
				}
				cs.Backends[a] = maps.Clone(pc)
				if ep.Hostname != nil && *ep.Hostname != "" {
					cs.Hostnames[a] = *ep.Hostname
				}
				if ep.Zone != nil && *ep.Zone != "" {
					z := BackendZone{Zone: *ep.Zone, ForZones: []ForZone{}}
					if ep.Hints != nil {
						for _, fz := range ep.Hints.ForZones {
							z.ForZones = append(z.ForZones, ForZone{Name: fz.Name})
						}
					}
					cs.Zones[a] = z
				}
			}
		}
	}
	if err := validateForWrite(cs, c.ID); err != nil {
		return nil, false, fmt.Errorf("service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return cs, true, nil
}

// usable: ready, or serving (terminating endpoints keep serving). A nil condition means
// true, per the EndpointSlice API; a nil serving condition follows ready.
func usable(c discoveryv1.EndpointConditions) bool {
	ready := c.Ready == nil || *c.Ready
	serving := ready
	if c.Serving != nil {
		serving = *c.Serving
	}
	return ready || serving
}

func protocol(p corev1.Protocol) string {
	if p == "" {
		return string(corev1.ProtocolTCP)
	}
	return string(p)
}

// checkAddr returns s as the API server stored it, as Cilium exports it (an IPv4-mapped or
// non-canonical IPv6 form is kept), once netip.ParseAddr accepts it.
func checkAddr(svc *corev1.Service, what, s string) (string, error) {
	if _, err := netip.ParseAddr(s); err != nil {
		return "", fmt.Errorf("service %s/%s: %w: %s %q", svc.Namespace, svc.Name, ErrBadIP, what, s)
	}
	return s, nil
}
