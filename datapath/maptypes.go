package datapath

import "structs"

// The Go side of the map layouts of maps.h (documented in doc.go). They mirror, field for
// field, the types bpf2go generates from the C structs (lbSvcKey, ... in lb_bpfel.go,
// which builds on Linux only); maptypes_linux.go converts between the two so that the
// build fails if they ever differ. Fields that hold network-order values (addresses,
// ports) are filled through addrBE and portBE.

// svcKey is struct svc_key: a frontend.
type svcKey struct {
	_     structs.HostLayout
	Vip   uint32 // network order
	Port  uint16 // network order
	Proto uint8
	Pad   uint8
}

// svcVal is struct svc_val: a service's ID, Maglev backend count and row fingerprint.
type svcVal struct {
	_           structs.HostLayout
	Id          uint32
	Count       uint16
	Flags       uint16
	Fingerprint uint64
}

// backendEntry is struct backend: one slot of the backends array.
type backendEntry struct {
	_         structs.HostLayout
	Addr      uint32 // network order
	Port      uint16 // network order
	Proto     uint8
	State     uint8
	ClusterId uint32
	SvcId     uint32
}

// revnatKey is struct revnat_key: a backend's address, port and protocol.
type revnatKey struct {
	_     structs.HostLayout
	Addr  uint32 // network order
	Port  uint16 // network order
	Proto uint8
	Pad   uint8
}

// revnatVal is struct revnat_val: the frontend replies of a backend are rewritten to.
type revnatVal struct {
	_     structs.HostLayout
	Vip   uint32 // network order
	Port  uint16 // network order
	Pad   uint16
	SvcId uint32
}

// egressKey is struct egress_key: an LPM key of source /32 and destination prefix.
type egressKey struct {
	_         structs.HostLayout
	Prefixlen uint32
	Saddr     uint32 // network order
	Daddr     uint32 // network order
}

// egressVal is struct egress_val.
type egressVal struct {
	_         structs.HostLayout
	EgressIp  uint32 // network order
	GatewayIp uint32 // network order
}

// l2Key is struct l2_key: an IP to answer ARP for on an interface.
type l2Key struct {
	_       structs.HostLayout
	Ip      uint32 // network order
	Ifindex uint32
}

// l2Val is struct l2_val: the replies sent and the MAC address to answer with.
type l2Val struct {
	_         structs.HostLayout
	Responses uint64
	Mac       [6]uint8
	Pad       uint16
}

// svcKey6 is struct svc_key6: an IPv6 frontend. The mirror holds IPv6 frontends as
// svcKey with a handle for the address (addr6.go); svcKey6 is what the map holds.
type svcKey6 struct {
	_     structs.HostLayout
	Vip   [4]uint32 // network order
	Port  uint16    // network order
	Proto uint8
	Pad   uint8
}

// backendEntry6 is struct backend6: one slot of the IPv6 backends array.
type backendEntry6 struct {
	_         structs.HostLayout
	Addr      [4]uint32 // network order
	Port      uint16    // network order
	Proto     uint8
	State     uint8
	ClusterId uint32
	SvcId     uint32
}

// revnatKey6 is struct revnat_key6: an IPv6 backend's address, port and protocol.
type revnatKey6 struct {
	_     structs.HostLayout
	Addr  [4]uint32 // network order
	Port  uint16    // network order
	Proto uint8
	Pad   uint8
}

// revnatVal6 is struct revnat_val6: the IPv6 frontend replies of a backend are rewritten to.
type revnatVal6 struct {
	_     structs.HostLayout
	Vip   [4]uint32 // network order
	Port  uint16    // network order
	Pad   uint16
	SvcId uint32
}

// l2Key6 is struct l2_key6: an IPv6 address to answer neighbour solicitations for on an
// interface.
type l2Key6 struct {
	_       structs.HostLayout
	Ip      [4]uint32 // network order
	Ifindex uint32
}
