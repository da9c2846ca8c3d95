// SPDX-License-Identifier: (MIT OR GPL-2.0)
// The egress gateway LPM map's key and value, shared by lb.c (through maps.h; its Go side
// programs the map: SyncEgress) and egressgw.c (whose programs consult it).

#ifndef CIK_EGRESS_TYPES_H
#define CIK_EGRESS_TYPES_H

#include "cik_bpf.h"

// Egress gateway LPM key: prefixlen counts the 32 bits of saddr plus the destination
// prefix length.
struct egress_key {
	__u32 prefixlen;
	__be32 saddr;
	__be32 daddr;
};

// Where matching traffic leaves: gateway_ip 0.0.0.0 drops it, 0.0.0.1 marks an excluded
// CIDR (it leaves normally); egress_ip is the source address the gateway SNATs to.
struct egress_val {
	__be32 egress_ip;
	__be32 gateway_ip;
};

#endif
