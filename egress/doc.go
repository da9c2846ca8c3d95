// Package egress is the run-time side of Cilium's egress gateway: it selects a policy
// endpoint's gateway as Cilium does (gateways sorted by IP, FNV-32a of the endpoint's UID
// mod N) and produces the datapath entries (Entry) that package datapath programs into its
// egress LPM map. It imports only the standard library, so a node agent links no
// Kubernetes packages.
//
// Gateway.Down adds failover that Cilium lacks: only the endpoints of a gateway that is
// down move, each to the gateway FNV-32a of its UID picks among those that are up.
//
// The Kubernetes side lives in sub-packages: egress/gatewaypolicy builds
// CiliumEgressGatewayPolicy objects, egress/plancheck checks one against a mesh plan
// before it is applied, and egress/resolve turns the policies and the cluster's
// endpoints, nodes and agent heartbeats into Entries. Package datapath programs the
// entries and carries the BPF programs that act on them.
package egress
