// Package egress is the run-time side of Cilium's egress gateway: it selects a policy
// endpoint's gateway as Cilium does (gateways sorted by IP, FNV-32a of the endpoint's UID
// mod N) and produces the datapath entries (Entry) that package datapath programs into its
// egress LPM map. It imports only the standard library, so a node agent links no
// Kubernetes packages.
//
// The CiliumEgressGatewayPolicy builder is in the sub-package egress/gatewaypolicy.
package egress
