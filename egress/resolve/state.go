package resolve

import (
	"net/netip"

	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/egress"
)

// State is the cluster state the entries of egress gateway policies depend on. Resolve
// only reads it.
type State struct {
	// Policies are the egress gateway policies; each is resolved on its own, in name
	// order.
	Policies []*ciliumv2.CiliumEgressGatewayPolicy
	// Endpoints are the CiliumEndpoints of every namespace. Endpoints without a UID,
	// identity labels or IPv4 address are ignored.
	Endpoints []*ciliumv2.CiliumEndpoint
	// Nodes are the cluster's nodes: labels, InternalIP and Ready condition.
	Nodes []*corev1.Node
	// Leases are the agents' heartbeat Leases of Options.LeaseNamespace (ignored without
	// it), named after their node.
	Leases []*coordinationv1.Lease
}

// Options configure Resolve, Read and Watch. The zero value (or nil) judges gateway
// nodes by their Ready condition only.
type Options struct {
	// LeaseNamespace is the namespace of the gateway agents' heartbeat Leases (one per
	// node, named after it; see Heartbeat). When set, a gateway node is up only while its
	// Lease is held and renewTime + leaseDurationSeconds is later than the time of
	// resolution. Empty: Leases are not consulted.
	LeaseNamespace string
}

// Result is what Resolve computes.
type Result struct {
	// Entries are the datapath entries of every policy, policies in name order, each in
	// egress.Entries' order; no two share a source and destination.
	Entries []egress.Entry
	// Policies say, per policy in name order, which gateways and endpoints it resolved to.
	Policies []Policy
}

// Policy is one policy's resolution.
type Policy struct {
	// Name is the policy's name.
	Name string
	// Gateways are the policy's gateway entries in spec order (spec.egressGateways, or
	// the single spec.egressGateway).
	Gateways []Gateway
	// Endpoints are the selected endpoints, by namespace and name.
	Endpoints []Endpoint
	// Err joins the policy's problems: an error wrapping ErrInvalidPolicy (the policy
	// contributes no entries) or errors wrapping ErrConflict (those entries are left
	// out). Nil when there are none.
	Err error
}

// Gateway is one gateway entry of a policy as resolved.
type Gateway struct {
	// Gateway is what the datapath entries use: IP is the chosen node's IP (0.0.0.0 when
	// no node matches), EgressIP the spec's egressIP (0.0.0.0 when unset), Down whether
	// it carries no traffic.
	egress.Gateway
	// Node is the chosen node's name: the first matching node that is up, else the first
	// matching node; empty when none matches.
	Node string
	// Reason says why the gateway is Down; empty when it is up.
	Reason string
}

// Endpoint is a selected endpoint and the gateway its traffic leaves through.
type Endpoint struct {
	// Namespace and Name name the CiliumEndpoint.
	Namespace, Name string
	// UID is the CiliumEndpoint's UID, which picks its gateway.
	UID string
	// IPs are its IPv4 addresses.
	IPs []netip.Addr
	// Gateway is the gateway IP of its entries: a gateway node's IP, or
	// egress.NoGateway() when no gateway is up (its traffic is dropped).
	Gateway netip.Addr
}
