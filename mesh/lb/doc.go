// Package lb is the service vocabulary shared by every part of ciliumkit that handles
// load-balanced services: Protocol, Frontend, Backend and BackendState, the global-service
// model (Global, Affinity), ClusterMesh backend selection (Select) and the
// `cilium service list --clustermesh-affinity` formatter.
//
// It is a leaf: it imports only the standard library, so a node agent that programs the
// datapath (package datapath) or follows a kvstore (package mesh/kvstore) links neither
// Helm nor client-go. The selection result is what the datapath programs:
// datapath.Service holds the []SelectedBackend that Select returns.
package lb
