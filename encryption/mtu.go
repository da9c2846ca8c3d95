package encryption

import "fmt"

// Overheads, in bytes, that Cilium 1.19 subtracts from the device MTU to get the pod
// (route) MTU. Cilium reserves WireGuardOverhead whatever the outer IP family, although
// the exact WireGuard cost is 60 bytes over IPv4 (20 IP + 8 UDP + 32 WireGuard) and 80 over
// IPv6 (40 IP + 8 UDP + 32 WireGuard); the reserve is sized for the larger case.
const (
	// WireGuardOverhead is reserved for WireGuard encapsulation under either outer family.
	WireGuardOverhead = 80
	// TunnelOverheadIPv4 is reserved for VXLAN or Geneve over an IPv4 underlay
	// (20 IP + 8 UDP + 8 VXLAN/Geneve + 14 inner Ethernet).
	TunnelOverheadIPv4 = 50
	// TunnelOverheadIPv6 is reserved for VXLAN or Geneve over an IPv6 underlay
	// (40 IP + 8 UDP + 8 VXLAN/Geneve + 14 inner Ethernet).
	TunnelOverheadIPv6 = 70
)

// MTU bounds, in bytes.
const (
	// DefaultDeviceMTU is the device MTU Cilium assumes when none is known (Ethernet).
	DefaultDeviceMTU = 1500
	// MaxDeviceMTU is the largest device MTU accepted (the IPv4/IPv6 total length limit).
	MaxDeviceMTU = 65535
	// MinIPv4MTU is the smallest MTU every IPv4 host must accept (RFC 791).
	MinIPv4MTU = 576
	// MinIPv6MTU is the smallest MTU IPv6 allows on a link (RFC 8200).
	MinIPv6MTU = 1280
)

// Tunnel is Cilium's encapsulation mode between nodes.
type Tunnel string

// Tunnel modes.
const (
	// TunnelNone is native routing (Helm routingMode=native); "" means the same.
	TunnelNone Tunnel = "none"
	// TunnelVXLAN is routingMode=tunnel with tunnelProtocol=vxlan.
	TunnelVXLAN Tunnel = "vxlan"
	// TunnelGeneve is routingMode=tunnel with tunnelProtocol=geneve.
	TunnelGeneve Tunnel = "geneve"
)

// MTUConfig describes a node's datapath for WireGuardPodMTU. The zero value is an
// Ethernet (1500) device, IPv4 underlay, native routing and IPv4-only pods.
type MTUConfig struct {
	// DeviceMTU is the MTU of the node's underlying network device in bytes, 1 to
	// MaxDeviceMTU; 0 means DefaultDeviceMTU, as in Cilium.
	DeviceMTU int
	// OuterIPv6 says the node-to-node (outer) headers are IPv6; it selects
	// TunnelOverheadIPv6 over TunnelOverheadIPv4 when a tunnel is used.
	OuterIPv6 bool
	// Tunnel is the encapsulation mode; "" means TunnelNone.
	Tunnel Tunnel
	// PodIPv6 says pods carry IPv6 (IPv6-only or dual stack), so the pod MTU must be at
	// least MinIPv6MTU rather than MinIPv4MTU.
	PodIPv6 bool
}

// WireGuardPodMTU returns the MTU, in bytes, that Cilium 1.19 gives pod routes when
// WireGuard is enabled: the device MTU minus WireGuardOverhead, minus the tunnel overhead
// of c.OuterIPv6's family when a tunnel is used. It fails with ErrMTU for a device MTU
// outside 0 to MaxDeviceMTU, an unknown tunnel mode, or a result below MinIPv4MTU
// (MinIPv6MTU when c.PodIPv6).
func WireGuardPodMTU(c MTUConfig) (int, error) {
	dev := c.DeviceMTU
	if dev == 0 {
		dev = DefaultDeviceMTU
	}
	if dev < 0 || dev > MaxDeviceMTU {
		return 0, fmt.Errorf("%w: device MTU %d outside 1-%d", ErrMTU, c.DeviceMTU, MaxDeviceMTU)
	}
	overhead := WireGuardOverhead
	switch c.Tunnel {
	case "", TunnelNone:
	case TunnelVXLAN, TunnelGeneve:
		if c.OuterIPv6 {
			overhead += TunnelOverheadIPv6
		} else {
			overhead += TunnelOverheadIPv4
		}
	default:
		return 0, fmt.Errorf("%w: unknown tunnel mode %q; want none, vxlan or geneve", ErrMTU, c.Tunnel)
	}
	pod := dev - overhead
	minimum, family := MinIPv4MTU, "IPv4"
	if c.PodIPv6 {
		minimum, family = MinIPv6MTU, "IPv6"
	}
	if pod < minimum {
		return 0, fmt.Errorf("%w: device MTU %d leaves pod MTU %d after %d bytes of overhead, below the %s minimum %d",
			ErrMTU, dev, pod, overhead, family, minimum)
	}
	return pod, nil
}
