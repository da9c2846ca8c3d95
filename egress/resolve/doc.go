// Package resolve computes the egress gateway datapath entries (egress.Entry) of
// cilium.io/v2 CiliumEgressGatewayPolicy objects from the cluster state they depend on,
// the way Cilium's agent does, plus gateway failover:
//
//   - endpoints are CiliumEndpoints, matched by their identity labels against the
//     policy's pod and namespace selectors (namespace labels carry Cilium's
//     io.cilium.k8s.namespace.labels. prefix; an empty namespace selector selects every
//     namespace) and, when a selector rule has a nodeSelector, by their node's labels;
//   - each egressGateways entry (or the single egressGateway) picks the first node by
//     name that its nodeSelector matches and that is up; its gateway IP is the node's
//     first IPv4 InternalIP;
//   - a gateway node is up when its Ready condition is True and, with
//     Options.LeaseNamespace, its agent's heartbeat Lease (see Heartbeat) has not
//     expired. A gateway entry whose matching nodes are all down, that matches no node, or
//     that has no egressIP (interface-based gateways: the control plane does not know the
//     address) is egress.Gateway.Down: the endpoints Cilium assigns to it move to the
//     gateways that are up (FNV-32a of the endpoint UID mod their number); the other
//     endpoints keep their gateway. With no gateway up, the policy's traffic is dropped.
//
// Resolve is pure. Read lists the state from an API server; Watch keeps it in informer
// caches and calls back with new entries whenever they change (an agent programs them
// with datapath.SyncEgress); Heartbeat keeps a gateway agent's Lease fresh.
package resolve
