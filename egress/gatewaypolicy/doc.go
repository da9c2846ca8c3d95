// Package gatewaypolicy builds Cilium egress gateway policies
// (cilium.io/v2 CiliumEgressGatewayPolicy) with Cilium's own API types: pod and namespace
// selectors, destination and excluded CIDRs, and up to MaxGateways gateway entries, each
// selecting a node and how it SNATs (an interface or an egress IP). Selectors are
// *slimv1.LabelSelector (github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/meta/v1), the
// selector input of every ciliumkit builder.
//
// Package egress holds what a node needs at run time (gateway selection and the datapath
// entries) and imports only the standard library; this package is its Kubernetes side,
// with egress/plancheck (checks of a policy against a mesh plan before it is applied)
// and egress/resolve (a policy's datapath entries from the cluster's state).
package gatewaypolicy
