// Package egress builds Cilium egress gateway policies (CiliumEgressGatewayPolicy), selects
// gateways as Cilium does, and produces the datapath entries the datapath package programs.
package egress
