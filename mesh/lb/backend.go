package lb

import (
	"fmt"
	"net/netip"
	"strings"
)

// Protocol is an L4 protocol of a frontend or backend.
type Protocol uint8

// L4 protocols, with their IANA numbers.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

// String returns "TCP", "UDP", "SCTP" or the number.
func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// ParseProtocol parses "TCP", "UDP" or "SCTP", case-insensitively; anything else is an
// error wrapping ErrInvalidProtocol.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToUpper(s) {
	case "TCP":
		return TCP, nil
	case "UDP":
		return UDP, nil
	case "SCTP":
		return SCTP, nil
	}
	return 0, fmt.Errorf("%w %q: want TCP, UDP or SCTP", ErrInvalidProtocol, s)
}

// BackendState is the state of a service backend, with Cilium's meaning.
type BackendState uint8

// Backend states. Only active backends take new connections; terminating backends keep
// their existing connections; quarantined backends failed health checks; maintenance
// backends were taken out by an operator.
const (
	BackendActive BackendState = iota
	BackendTerminating
	BackendQuarantined
	BackendMaintenance
)

// String returns the state as Cilium prints it: "active", "terminating", "quarantined",
// "maintenance".
func (s BackendState) String() string {
	switch s {
	case BackendActive:
		return "active"
	case BackendTerminating:
		return "terminating"
	case BackendQuarantined:
		return "quarantined"
	case BackendMaintenance:
		return "maintenance"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ParseBackendState parses the names String returns; anything else is an error wrapping
// ErrInvalidBackendState.
func ParseBackendState(s string) (BackendState, error) {
	for st := BackendActive; st <= BackendMaintenance; st++ {
		if st.String() == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("%w %q: want active, terminating, quarantined or maintenance", ErrInvalidBackendState, s)
}

// Frontend is a service address clients connect to: a VIP, port and protocol.
type Frontend struct {
	// Addr is the VIP and port.
	Addr     netip.AddrPort
	Protocol Protocol
}

// String returns "10.96.0.10:53/UDP".
func (f Frontend) String() string { return f.Addr.String() + "/" + f.Protocol.String() }

// Backend is one endpoint behind a service, in the cluster that owns it.
type Backend struct {
	// Addr is the backend IP and port.
	Addr     netip.AddrPort
	Protocol Protocol
	// State is the backend's state; the zero value is active.
	State BackendState
	// ClusterID is the ID of the cluster the backend runs in (0 = the local cluster when
	// not in a mesh).
	ClusterID uint32
	// Zone is the topology zone of the backend's node, if known.
	Zone string
}

// String returns "10.244.1.5:80/TCP (active) @cluster 2".
func (b Backend) String() string {
	return fmt.Sprintf("%s/%s (%s) @cluster %d", b.Addr, b.Protocol, b.State, b.ClusterID)
}
