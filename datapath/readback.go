package datapath

import (
	"net/netip"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// ServiceEntry is a service as read back from the kernel maps.
type ServiceEntry struct {
	// Frontend is the service's VIP, port and protocol.
	Frontend lb.Frontend
	// ID is the service ID, the key of its Maglev row: 1..Options.MaxServices.
	ID uint32
	// Backends are the service's backends sorted by address and port (Zone is not
	// stored and reads back empty).
	Backends []lb.Backend
	// Table is the Maglev row: for each of the M slots, the backend address a flow with
	// maglev.FlowSlot == slot is sent to. Nil when the service has no Maglev backend (its
	// packets are dropped).
	Table []netip.AddrPort
}
