// SPDX-License-Identifier: (MIT OR GPL-2.0)
// Map layouts shared by ciliumkit's BPF programs and the Go code in this package. Fields
// marked __be are in network byte order; all other fields are in host byte order. The Go
// side documents the same layouts on its key and value types.

#ifndef CIK_MAPS_H
#define CIK_MAPS_H

#include "cik_bpf.h"

// A frontend: VIP, port, IP protocol.
struct svc_key {
	__be32 vip;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

// A service: its ID (key of its Maglev row), the number of backends in its Maglev row
// (0 = no backend: packets are dropped), and a fingerprint of the row's inputs.
struct svc_val {
	__u32 id;
	__u16 count;
	__u16 flags;
	__u64 fingerprint;
};

// A backend, indexed by backend ID (ID 0 is never used; addr 0 marks a free slot).
struct backend {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 state;
	__u32 cluster_id;
	__u32 svc_id;
};

// Reverse NAT: a backend's address, port and protocol ...
struct revnat_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

// ... and the frontend its replies are rewritten to.
struct revnat_val {
	__be32 vip;
	__be16 port;
	__u16 pad;
	__u32 svc_id;
};

#include "egress_types.h"

// L2 responder: an IP to answer ARP for on an interface, the MAC address to answer
// with, and how many replies were sent.
struct l2_key {
	__be32 ip;
	__u32 ifindex;
};

struct l2_val {
	__u64 responses;
	__u8 mac[6];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct svc_key);
	__type(value, struct svc_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 262145);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__type(key, struct revnat_key);
	__type(value, struct revnat_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_revnat SEC(".maps");

// One row of maglev_m backend IDs per service ID. The Go loader sets the value size to
// 4 * maglev_m and, when the rows fit in a preallocated array, turns this hash into an
// array indexed by service ID.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_maglev SEC(".maps");

#include "egress_map.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct l2_key);
	__type(value, struct l2_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_l2resp_v4 SEC(".maps");

#endif
