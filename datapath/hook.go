package datapath

import (
	"fmt"
	"path/filepath"
)

// Hook is an attachment point for one of the programs.
type Hook uint8

// Hooks. TC hooks use TCX links (Linux 6.6 or later).
const (
	// HookXDP runs XDPProgram on an interface's receive path (in the driver when it
	// supports XDP, else generic XDP).
	HookXDP Hook = iota + 1
	// HookTCIngress runs TCIngressProgram on TC ingress.
	HookTCIngress
	// HookTCEgress runs TCEgressProgram (reverse NAT) on TC egress.
	HookTCEgress
	// HookEgressSteer runs EgressSteerProgram on TC ingress of an interface pod traffic
	// enters the node by (the host side of a pod's veth), on every node.
	HookEgressSteer
	// HookEgressSNAT runs EgressSNATProgram on TC egress of a gateway node's uplink (the
	// interface traffic leaves the cluster by).
	HookEgressSNAT
	// HookEgressRevSNAT runs EgressRevSNATProgram on TC ingress of a gateway node's
	// uplink (where replies to the egress IP arrive).
	HookEgressRevSNAT
)

// String returns "xdp", "tc-ingress", "tc-egress", "egress-steer", "egress-snat" or
// "egress-revsnat".
func (h Hook) String() string {
	switch h {
	case HookXDP:
		return "xdp"
	case HookTCIngress:
		return "tc-ingress"
	case HookTCEgress:
		return "tc-egress"
	case HookEgressSteer:
		return "egress-steer"
	case HookEgressSNAT:
		return "egress-snat"
	case HookEgressRevSNAT:
		return "egress-revsnat"
	}
	return fmt.Sprintf("hook(%d)", uint8(h))
}

// linkPin returns where the link of hook on ifindex of the network namespace netns (an
// ID from netnsID) is pinned, or "" without PinDir.
func (d *Datapath) linkPin(h Hook, netns string, ifindex int) string {
	if d.opts.PinDir == "" {
		return ""
	}
	return filepath.Join(d.opts.PinDir, fmt.Sprintf("%s%s_%s_%d", linkPinPrefix, h, netns, ifindex))
}

// legacyLinkPin is where versions before the namespace-qualified names pinned the link of
// hook on ifindex, whatever the namespace.
func (d *Datapath) legacyLinkPin(h Hook, ifindex int) string {
	if d.opts.PinDir == "" {
		return ""
	}
	return filepath.Join(d.opts.PinDir, fmt.Sprintf("%s%s_%d", linkPinPrefix, h, ifindex))
}

// linkPinPrefix starts the name of every link pin.
const linkPinPrefix = "cik_link_"
