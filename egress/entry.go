package egress

import (
	"fmt"
	"net/netip"
)

// NoGateway returns 0.0.0.0, the gateway value of an entry whose traffic is dropped
// because no gateway node was found for it.
func NoGateway() netip.Addr { return netip.AddrFrom4([4]byte{}) }

// ExcludedCIDR returns 0.0.0.1, the gateway value of an entry for an excluded destination
// CIDR: matching traffic leaves normally, not through a gateway.
func ExcludedCIDR() netip.Addr { return netip.AddrFrom4([4]byte{0, 0, 0, 1}) }

// Entry is one egress gateway datapath entry: traffic from Source to an address in
// Destination leaves through GatewayIP, SNATed to EgressIP. All addresses are IPv4.
type Entry struct {
	// Source is the endpoint's IPv4 address (matched as a /32).
	Source netip.Addr
	// Destination is the destination IPv4 prefix; the longest matching prefix wins.
	Destination netip.Prefix
	// EgressIP is the address traffic is SNATed to on the gateway; 0.0.0.0 when unknown
	// or for excluded CIDRs.
	EgressIP netip.Addr
	// GatewayIP is the gateway node's IPv4 address, or NoGateway (drop) or ExcludedCIDR.
	GatewayIP netip.Addr
}

// Drops reports whether the entry drops traffic (gateway 0.0.0.0).
func (e Entry) Drops() bool { return e.GatewayIP == NoGateway() }

// Excluded reports whether the entry is for an excluded destination (gateway 0.0.0.1).
func (e Entry) Excluded() bool { return e.GatewayIP == ExcludedCIDR() }

// Validate reports whether every field is set and IPv4, naming the first bad one.
func (e Entry) Validate() error {
	switch {
	case !e.Source.Is4():
		return fmt.Errorf("%w: source %v is not an IPv4 address", ErrInvalidEntry, e.Source)
	case !e.Destination.IsValid() || !e.Destination.Addr().Is4():
		return fmt.Errorf("%w: destination %v is not an IPv4 prefix", ErrInvalidEntry, e.Destination)
	case !e.EgressIP.Is4():
		return fmt.Errorf("%w: egress IP %v is not an IPv4 address", ErrInvalidEntry, e.EgressIP)
	case !e.GatewayIP.Is4():
		return fmt.Errorf("%w: gateway IP %v is not an IPv4 address", ErrInvalidEntry, e.GatewayIP)
	}
	return nil
}

// String returns "10.0.0.5 -> 1.1.1.0/24 via 192.168.1.2 as 192.168.1.100".
func (e Entry) String() string {
	return fmt.Sprintf("%v -> %v via %v as %v", e.Source, e.Destination, e.GatewayIP, e.EgressIP)
}
