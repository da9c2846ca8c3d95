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

// The IPv6 counterparts. An IPv6 frontend has its own map but takes its service ID from
// the same ID space as IPv4 ones (rows in cik_lb_maglev); an IPv6 backend sits in its own
// array under an ID of the same ID space as IPv4 backends: a backend ID is in use in at
// most one of cik_lb_backend and cik_lb_backend6 (addr all zero marks a free slot).
struct svc_key6 {
	__be32 vip[4];
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct backend6 {
	__be32 addr[4];
	__be16 port;
	__u8 proto;
	__u8 state;
	__u32 cluster_id;
	__u32 svc_id;
};

struct revnat_key6 {
	__be32 addr[4];
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct revnat_val6 {
	__be32 vip[4];
	__be16 port;
	__u16 pad;
	__u32 svc_id;
};

#include "egress_types.h"

// L2 responder: an IPv4 address to answer ARP for on an interface, the MAC address to answer
// with, and how many replies were sent.
struct l2_key {
	__be32 ip;
	__u32 ifindex;
};

// IPv6 L2 responder: an IP to answer neighbour solicitations for on an interface.
struct l2_key6 {
	__be32 ip[4];
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

// Maglev rows: service ID id's row of maglev_m backend IDs is cut into maglev_chunks
// elements of maglev_chunk IDs, element c at key id * maglev_chunks + c (an element of at
// most 1008 IDs is one 4 KiB kernel allocation, where a whole row of 16381 would be a
// 128 KiB one). The Go loader sets the value size to 4 * maglev_chunk and, when the rows
// fit in a preallocated array, turns this hash into an array.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_maglev SEC(".maps");

// IPv6 frontends, backends and reverse NAT. The hashes are not preallocated, so that a
// node without IPv6 services spends no kernel memory on them.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct svc_key6);
	__type(value, struct svc_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_svc6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 262145);
	__type(key, __u32);
	__type(value, struct backend6);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_backend6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct revnat_key6);
	__type(value, struct revnat_val6);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_lb_revnat6 SEC(".maps");

#include "egress_map.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct l2_key);
	__type(value, struct l2_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_l2resp_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct l2_key6);
	__type(value, struct l2_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_l2resp_v6 SEC(".maps");

#endif
