package datapath

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// EgressCounters are the egress gateway programs' packet counters, summed over CPUs,
// since the counters map was created (they survive a restart with Options.PinDir).
type EgressCounters struct {
	// Steered counts packets EgressSteerProgram sent to a remote gateway node.
	Steered uint64
	// Local counts packets of entries whose gateway is this node, passed to the stack
	// (EgressSNATProgram SNATs them on the way out).
	Local uint64
	// Excluded counts packets of excluded CIDRs (gateway 0.0.0.1), passed to the stack.
	Excluded uint64
	// DroppedPolicy counts packets of entries without a gateway (0.0.0.0), dropped.
	DroppedPolicy uint64
	// DroppedNoRoute counts packets dropped because the gateway is not an on-link next
	// hop of this node (or has no route at all).
	DroppedNoRoute uint64
	// SNAT counts packets EgressSNATProgram rewrote to an egress IP; SNATNew counts the
	// flows among them that got new connection table entries.
	SNAT, SNATNew uint64
	// DroppedUnsupported counts packets of this gateway's entries that cannot be SNATed
	// and are dropped rather than sent with the pod's address: protocols other than TCP
	// and UDP, IP fragments, entries without an egress IP.
	DroppedUnsupported uint64
	// DroppedNoPort counts new flows dropped because no source port was free (the flow's
	// own port and 31 others were taken for the same egress IP and destination).
	DroppedNoPort uint64
	// RevSNAT counts replies EgressRevSNATProgram rewrote back to a pod.
	RevSNAT uint64
	// DroppedNotGateway counts packets EgressSNATProgram dropped because their entry names
	// another gateway (or none) and this node's EgressSteerProgram did not send them (no
	// EgressSteerMark): a worker still steering to a gateway that has just handed its
	// endpoints over, or a pod interface without the steering program. They would
	// otherwise leave with the pod's address.
	DroppedNotGateway uint64
}

// EgressSteerMark is the skb->mark bit EgressSteerProgram sets on the packets it sends to
// a gateway; EgressSNATProgram on the same node lets such packets of another gateway's
// entries pass. Other users of skb->mark on the node must leave this bit alone.
const EgressSteerMark = 0x00200000

// egressCounterCount is EGW_NCOUNTERS: the number of counters, in EgressCounters' order.
const egressCounterCount = 11

// egressCountersOf returns the counters of per-counter sums in egressgw.c's order.
func egressCountersOf(s [egressCounterCount]uint64) EgressCounters {
	return EgressCounters{
		Steered: s[0], Local: s[1], Excluded: s[2], DroppedPolicy: s[3], DroppedNoRoute: s[4],
		SNAT: s[5], SNATNew: s[6], DroppedUnsupported: s[7], DroppedNoPort: s[8], RevSNAT: s[9],
		DroppedNotGateway: s[10],
	}
}

// EgressConnection is one flow in a gateway's connection table.
type EgressConnection struct {
	// Protocol is lb.TCP or lb.UDP.
	Protocol lb.Protocol
	// Source is the pod's address and port.
	Source netip.AddrPort
	// Destination is the external address and port.
	Destination netip.AddrPort
	// Egress is the egress IP and the source port the flow leaves with.
	Egress netip.AddrPort
	// Idle is the time since the flow's latest outgoing packet.
	Idle time.Duration
	// ReplyIdle is the time since its latest reply; -1 when the reply entry is missing
	// (evicted or pruned: it is made again by the next outgoing packet).
	ReplyIdle time.Duration
}

// String returns "TCP 10.245.1.7:40000 -> 192.168.20.100:80 as 192.168.10.240:40000".
func (c EgressConnection) String() string {
	return fmt.Sprintf("%v %v -> %v as %v", c.Protocol, c.Source, c.Destination, c.Egress)
}

// natConnection returns the connection of a forward entry; idle times are relative to
// now (CLOCK_MONOTONIC, ns) and the reply entry rev (nil when missing).
func natConnection(k natKey, v natVal, rev *natVal, now uint64) EgressConnection {
	c := EgressConnection{
		Protocol:    lb.Protocol(k.Proto),
		Source:      netip.AddrPortFrom(addrFromBE(k.Saddr), portFromBE(k.Sport)),
		Destination: netip.AddrPortFrom(addrFromBE(k.Daddr), portFromBE(k.Dport)),
		Egress:      netip.AddrPortFrom(addrFromBE(v.Addr), portFromBE(v.Port)),
		Idle:        since(now, v.LastSeen),
		ReplyIdle:   -1,
	}
	if rev != nil {
		c.ReplyIdle = since(now, rev.LastSeen)
	}
	return c
}

// since returns now - t (nanoseconds), or 0 when t is later.
func since(now, t uint64) time.Duration {
	if t >= now {
		return 0
	}
	return time.Duration(now - t)
}
