package main

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/ciliumkit/ciliumkit/mesh/global"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// fromClusterService converts a service imported from a kvstore (already validated by
// kvstore.DecodeClusterService). All its backends are active (the wire format carries no
// state), of the service's cluster ID or else clusterID; port entries without a usable
// port and protocol are left out.
func fromClusterService(cs *kvstore.ClusterService, clusterID uint32) *svcData {
	d := &svcData{shared: cs.Shared}
	if cs.IncludeExternal {
		d.global = &lb.Global{Unshared: !cs.Shared}
	}
	if cs.ClusterID != 0 {
		clusterID = cs.ClusterID
	}
	for _, addr := range slices.Sorted(maps.Keys(cs.Frontends)) {
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(cs.Frontends[addr])) {
			if p, ok := l4(cs.Frontends[addr][name]); ok {
				d.frontends = append(d.frontends, portFrontend{lb.Frontend{Addr: netip.AddrPortFrom(ip, p.port), Protocol: p.proto}, name})
			}
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(cs.Backends)) {
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			continue
		}
		zone := cs.Zones[addr].Zone
		for _, name := range slices.Sorted(maps.Keys(cs.Backends[addr])) {
			if p, ok := l4(cs.Backends[addr][name]); ok {
				d.backends = append(d.backends, portBackend{lb.Backend{Addr: netip.AddrPortFrom(ip, p.port), Protocol: p.proto,
					ClusterID: clusterID, Zone: zone}, name})
			}
		}
	}
	return d
}

type l4port struct {
	port  uint16
	proto lb.Protocol
}

func l4(a *kvstore.L4Addr) (l4port, bool) {
	if a == nil || a.Port == 0 {
		return l4port{}, false
	}
	p, err := lb.ParseProtocol(a.Protocol)
	if err != nil {
		return l4port{}, false
	}
	return l4port{a.Port, p}, true
}

// fromKube converts a Service of the local cluster and its EndpointSlices. Frontends
// are the ClusterIPs (a headless service has none) with the Service's ports, or, with
// lbFrontends (L2 announcements on), for a LoadBalancer Service with an address in
// status.loadBalancer.ingress, its first IPv4 and its first IPv6 ingress address
// instead, with the same ports: the datapath's reverse NAT is stateless, so a backend
// can serve one frontend only, and the announced addresses are the ones clients outside
// the cluster use. Backends are the slices' endpoints that are ready (active) or serving
// while terminating (terminating), with the slices' ports. global is the Service's
// ClusterMesh policy (global.FromService); an invalid annotation makes it a local
// service, as Cilium reads unknown values as false, and is returned as err for the
// caller to log.
func fromKube(svc *corev1.Service, eps []*discoveryv1.EndpointSlice, clusterID uint32, lbFrontends bool) (*svcData, error) {
	d := &svcData{shared: true}
	g, err := global.FromService(svc)
	if err == nil {
		d.global = g
		if g != nil {
			d.shared = !g.Unshared
		}
	}
	addrs := svc.Spec.ClusterIPs
	if lbFrontends {
		if ips := firstLBIPs(svc); len(ips) > 0 {
			addrs = ips
		}
	}
	for _, s := range addrs {
		if strings.EqualFold(s, corev1.ClusterIPNone) {
			continue
		}
		ip, perr := netip.ParseAddr(s)
		if perr != nil {
			continue
		}
		for _, p := range svc.Spec.Ports {
			proto, perr := lb.ParseProtocol(string(p.Protocol))
			if p.Protocol == "" {
				proto, perr = lb.TCP, nil
			}
			if perr != nil || p.Port < 1 || p.Port > 65535 {
				continue
			}
			d.frontends = append(d.frontends, portFrontend{lb.Frontend{Addr: netip.AddrPortFrom(ip, uint16(p.Port)), Protocol: proto}, p.Name})
		}
	}
	for _, sl := range eps {
		if sl.AddressType != discoveryv1.AddressTypeIPv4 && sl.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		for _, ep := range sl.Endpoints {
			st, ok := endpointState(ep.Conditions)
			if !ok {
				continue
			}
			zone := ""
			if ep.Zone != nil {
				zone = *ep.Zone
			}
			for _, a := range ep.Addresses {
				ip, perr := netip.ParseAddr(a)
				if perr != nil {
					continue
				}
				for _, p := range sl.Ports {
					if p.Port == nil || *p.Port < 1 || *p.Port > 65535 {
						continue
					}
					proto := lb.TCP
					if p.Protocol != nil {
						if proto, perr = lb.ParseProtocol(string(*p.Protocol)); perr != nil {
							continue
						}
					}
					name := ""
					if p.Name != nil {
						name = *p.Name
					}
					d.backends = append(d.backends, portBackend{lb.Backend{Addr: netip.AddrPortFrom(ip, uint16(*p.Port)),
						Protocol: proto, State: st, ClusterID: clusterID, Zone: zone}, name})
				}
			}
		}
	}
	return d, err
}

// endpointState maps EndpointSlice conditions to a backend state: ready (nil counts as
// ready, as the API documents) is active, serving and terminating is terminating, and
// anything else takes no traffic at all.
func endpointState(c discoveryv1.EndpointConditions) (lb.BackendState, bool) {
	if c.Ready == nil || *c.Ready {
		if c.Terminating != nil && *c.Terminating {
			return lb.BackendTerminating, true
		}
		return lb.BackendActive, true
	}
	if c.Serving != nil && *c.Serving && c.Terminating != nil && *c.Terminating {
		return lb.BackendTerminating, true
	}
	return 0, false
}

// firstLBIPs returns the first IPv4 and the first IPv6 address (in that order, each if
// any) of a LoadBalancer Service's status.loadBalancer.ingress.
func firstLBIPs(svc *corev1.Service) []string {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return nil
	}
	var v4, v6 string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		ip, err := netip.ParseAddr(in.IP)
		switch {
		case err != nil:
		case ip.Unmap().Is4() && v4 == "":
			v4 = in.IP
		case !ip.Unmap().Is4() && v6 == "":
			v6 = in.IP
		}
	}
	var out []string
	for _, a := range []string{v4, v6} {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}
