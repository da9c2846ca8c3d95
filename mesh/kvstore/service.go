package kvstore

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// L4Addr is a port and protocol, as ClusterMesh writes it: {"Protocol":"TCP","Port":80}.
type L4Addr struct {
	// Protocol is "TCP", "UDP" or "SCTP".
	Protocol string `json:"Protocol"`
	// Port is 1-65535.
	Port uint16 `json:"Port"`
}

// PortConfiguration maps a port name (the Service's port name, "" when unnamed) to its
// port and protocol.
type PortConfiguration map[string]*L4Addr

// ForZone names a zone a backend should serve (topology-aware hints).
type ForZone struct {
	// Name is the zone name.
	Name string `json:"name"`
}

// BackendZone is the zone of a backend and the zones it should serve.
type BackendZone struct {
	// Zone is the backend's zone.
	Zone string `json:"zone"`
	// ForZones are the zones that should consume the backend.
	ForZones []ForZone `json:"forZones"`
}

// ClusterService is one service of one cluster in ClusterMesh's wire format: the JSON value
// under ServiceKey. Maps are keyed by the canonical text form of an IP address.
type ClusterService struct {
	// Cluster is the name of the cluster that owns the service.
	Cluster string `json:"cluster"`
	// Namespace and Name identify the service in its cluster.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Frontends maps each frontend (ClusterIP) address to its ports.
	Frontends map[string]PortConfiguration `json:"frontends"`
	// Backends maps each backend address to its ports.
	Backends map[string]PortConfiguration `json:"backends"`
	// Hostnames maps backend addresses to their hostnames (headless services).
	Hostnames map[string]string `json:"hostnames,omitempty"`
	// Zones maps backend addresses to their zones.
	Zones map[string]BackendZone `json:"zones,omitempty"`
	// Labels are the Service's labels.
	Labels map[string]string `json:"labels"`
	// Selector is the Service's pod selector.
	Selector map[string]string `json:"selector"`
	// IncludeExternal is true for a global service (it uses remote backends).
	IncludeExternal bool `json:"includeExternal"`
	// Shared is true when the service's backends are offered to other clusters.
	Shared bool `json:"shared"`
	// ClusterID is the ID of the owning cluster, 1-511.
	ClusterID uint32 `json:"clusterID"`
}

// NewClusterService returns an empty, shared, global service of cluster c with every map
// allocated, as Cilium writes it.
func NewClusterService(c mesh.Cluster, namespace, name string) *ClusterService {
	return &ClusterService{
		Cluster: c.Name, ClusterID: c.ID, Namespace: namespace, Name: name,
		Frontends: map[string]PortConfiguration{}, Backends: map[string]PortConfiguration{},
		Hostnames: map[string]string{}, Zones: map[string]BackendZone{},
		Labels: map[string]string{}, Selector: map[string]string{},
		IncludeExternal: true, Shared: true,
	}
}

// String returns "cluster/namespace/name".
func (s *ClusterService) String() string { return s.Cluster + "/" + s.Namespace + "/" + s.Name }

// AddFrontend adds frontend f under port name portName.
func (s *ClusterService) AddFrontend(f lb.Frontend, portName string) {
	addPort(&s.Frontends, f.Addr, portName, f.Protocol)
}

// AddBackend adds backend b under port name portName, with its zone when set. The
// backend's state and cluster ID are not part of the wire format.
func (s *ClusterService) AddBackend(b lb.Backend, portName string) {
	addPort(&s.Backends, b.Addr, portName, b.Protocol)
	if b.Zone != "" {
		if s.Zones == nil {
			s.Zones = map[string]BackendZone{}
		}
		s.Zones[b.Addr.Addr().String()] = BackendZone{Zone: b.Zone}
	}
}

func addPort(m *map[string]PortConfiguration, ap netip.AddrPort, portName string, p lb.Protocol) {
	if *m == nil {
		*m = map[string]PortConfiguration{}
	}
	k := ap.Addr().String()
	if (*m)[k] == nil {
		(*m)[k] = PortConfiguration{}
	}
	(*m)[k][portName] = &L4Addr{Protocol: p.String(), Port: ap.Port()}
}

// MeshBackends returns the service's backends in the shared mesh vocabulary, sorted by
// address, port and protocol: one per address and port, all active, with ClusterID and
// Zone from the service. Port entries a decoder noted as NoteBadPort (null, port 0, a
// protocol other than TCP, UDP or SCTP) have no backend and are skipped; an address that
// is not an IP is an error wrapping ErrBadIP (DecodeClusterService rejects those).
func (s *ClusterService) MeshBackends() ([]lb.Backend, error) {
	var out []lb.Backend
	for addr, ports := range s.Backends {
		ip, err := netip.ParseAddr(addr)
		if err != nil {
			return nil, fmt.Errorf("service %s: backend %q: %w", s, addr, ErrBadIP)
		}
		for _, l4 := range ports {
			if l4 == nil || l4.Port == 0 {
				continue
			}
			proto, err := lb.ParseProtocol(l4.Protocol)
			if err != nil {
				continue
			}
			out = append(out, lb.Backend{
				Addr: netip.AddrPortFrom(ip, l4.Port), Protocol: proto,
				ClusterID: s.ClusterID, Zone: s.Zones[addr].Zone,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if c := out[i].Addr.Compare(out[j].Addr); c != 0 {
			return c < 0
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out, nil
}
