package datapath

import "structs"

// The Go side of egressgw.c's map layouts (documented in doc.go), mirroring the types
// bpf2go generates (egressgwNatKey, ... in egressgw_bpfel.go, Linux only);
// egressgw_maptypes_linux.go converts between the two so that the build fails if they
// ever differ.

// natDir is the dir field of a connection table key.
const (
	natFwd = 0 // the flow as the pod sent it
	natRev = 1 // a reply as it reaches the gateway
)

// natKey is struct nat_key: one direction of a flow in the connection table.
type natKey struct {
	_     structs.HostLayout
	Saddr uint32 // network order
	Daddr uint32 // network order
	Sport uint16 // network order
	Dport uint16 // network order
	Proto uint8
	Dir   uint8
	Pad   uint16
}

// natVal is struct nat_val: the address and port a direction is rewritten to, and the
// CLOCK_MONOTONIC time of its latest packet in nanoseconds.
type natVal struct {
	_        structs.HostLayout
	Addr     uint32 // network order
	Port     uint16 // network order
	Pad      uint16
	LastSeen uint64
}

// egwCfg is struct egw_cfg: the node's own IP.
type egwCfg struct {
	_      structs.HostLayout
	NodeIp uint32 // network order
	Flags  uint32
}
