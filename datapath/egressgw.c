//go:build ignore

// SPDX-License-Identifier: (MIT OR GPL-2.0)
// ciliumkit's IPv4 egress gateway datapath, driven by the egress LPM map
// ({source /32, destination prefix} -> {egress IP, gateway IP}):
//
//   - cik_egw_steer (TC ingress of the interfaces pod traffic enters a node by): traffic of
//     a matched entry is sent to the entry's gateway node as the next hop (L2 redirect to
//     the gateway's MAC address, TTL decremented); excluded CIDRs (gateway 0.0.0.1) and
//     entries whose gateway is this node pass to the stack; gateway 0.0.0.0 drops.
//   - cik_egw_snat (TC egress of the gateway's uplink): TCP and UDP of an entry whose
//     gateway is this node leave with the egress IP as source; the source port is kept
//     when free, else another is picked. Both directions of the flow are recorded in a
//     connection table (LRU hash). Other protocols and IP fragments of such an entry are
//     dropped, so that nothing leaves with the pod's address. So is traffic of an entry
//     naming another gateway (or none) that this node's cik_egw_steer did not send (its
//     mark bit is not set): a worker still steering to a gateway that has just handed
//     its endpoints over, or a pod interface without the steering program.
//   - cik_egw_revsnat (TC ingress of the gateway's uplink): replies to an egress IP and
//     port found in the connection table get the pod's address and port back as
//     destination; the stack then routes them to the pod.

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "cik_bpf.h"
#include "egress_map.h"

char __license[] SEC("license") = "Dual MIT/GPL";

#define CIK_AF_INET 2

// The gateway value of an excluded CIDR, 0.0.0.1, in network order.
#define GW_EXCLUDED cik_htonl(1)

// Source ports the SNAT picks when the flow's own port is taken: [NAT_PORT_MIN, 65535].
#define NAT_PORT_MIN 1024
#define NAT_PORT_RANGE (65536 - NAT_PORT_MIN)
// The skb->mark bit cik_egw_steer sets on the packets it sends to a gateway
// (datapath.EgressSteerMark).
#define EGW_MARK 0x00200000

// Ports tried per new flow (its own, then NAT_TRIES-1 hashed ones) before it is dropped.
#define NAT_TRIES 32

enum nat_dir { NAT_FWD = 0, NAT_REV = 1 };

// A connection table key. NAT_FWD: the flow as the pod sent it (pod address and port
// as source). NAT_REV: a reply as it arrives (external as source, egress IP and the
// picked port as destination).
struct nat_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 dir;
	__u16 pad;
};

// NAT_FWD: the egress IP and port the flow is rewritten to. NAT_REV: the pod's address
// and port. last_seen: bpf_ktime_get_ns (CLOCK_MONOTONIC) of the latest packet.
struct nat_val {
	__be32 addr;
	__be16 port;
	__u16 pad;
	__u64 last_seen;
};

// Per-node settings written from Go: the node's own IP, which makes it the gateway of
// entries that name it.
struct egw_cfg {
	__be32 node_ip;
	__u32 flags;
};

// Counters, one per-CPU slot each (EgressCounters on the Go side, same order).
enum egw_counter {
	EGW_STEERED,	      // sent to a remote gateway
	EGW_LOCAL,	      // this node is the gateway: passed to the stack
	EGW_EXCLUDED,	      // excluded CIDR: passed to the stack
	EGW_DROP_POLICY,      // gateway 0.0.0.0: dropped
	EGW_DROP_NO_ROUTE,    // no on-link route to the gateway: dropped
	EGW_SNAT,	      // packets SNATed to an egress IP
	EGW_SNAT_NEW,	      // of which new flows (connection table entries made)
	EGW_DROP_UNSUPPORTED, // not TCP/UDP, a fragment, or no egress IP: dropped
	EGW_DROP_NO_PORT,     // no free port for a new flow: dropped
	EGW_REVSNAT,	      // replies rewritten back to the pod
	EGW_DROP_NOT_GATEWAY, // another gateway's traffic, not steered by this node: dropped
	EGW_NCOUNTERS,
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nat_key);
	__type(value, struct nat_val);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_egw_nat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct egw_cfg);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_egw_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EGW_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, CIK_PIN_BY_NAME);
} cik_egw_stats SEC(".maps");

static __always_inline void count(__u32 c)
{
	__u64 *v = bpf_map_lookup_elem(&cik_egw_stats, &c);
	if (v)
		*v += 1;
}

static __always_inline struct egress_val *egress_lookup(__be32 saddr, __be32 daddr)
{
	struct egress_key k = {.prefixlen = 64, .saddr = saddr, .daddr = daddr};
	return bpf_map_lookup_elem(&cik_egress_v4, &k);
}

// is_local_gateway reports whether gw is this node's IP.
static __always_inline int is_local_gateway(__be32 gw)
{
	__u32 zero = 0;
	struct egw_cfg *c = bpf_map_lookup_elem(&cik_egw_cfg, &zero);
	return c && c->node_ip && c->node_ip == gw;
}

// ip_header returns the IPv4 header of an Ethernet frame, pulling it into the linear area
// when needed, or 0 for anything else.
static __always_inline struct iphdr *ip_header(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != cik_htons(ETH_P_IP))
		return 0;
	if (data + sizeof(*eth) + sizeof(struct iphdr) > end) {
		if (bpf_skb_pull_data(skb, sizeof(*eth) + sizeof(struct iphdr)))
			return 0;
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
	}
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end || ip->ihl < 5)
		return 0;
	return ip;
}

struct tuple {
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u8 proto;
};

enum parsed { P_NOT_IPV4 = -1, P_NO_PORTS = 0, P_OK = 1 };

// parse_l4 fills t from an Ethernet/IPv4 packet, pulling headers into the linear area when
// needed. It returns P_OK with *l4off set for an unfragmented TCP or UDP packet,
// P_NO_PORTS (addresses set, ports zero) for other IPv4 packets (other protocols,
// fragments, truncated headers), P_NOT_IPV4 for anything else.
static __always_inline int parse_l4(struct __sk_buff *skb, struct tuple *t, __u32 *l4off)
{
	struct iphdr *ip = ip_header(skb);
	if (!ip)
		return P_NOT_IPV4;
	t->saddr = ip->saddr;
	t->daddr = ip->daddr;
	t->proto = ip->protocol;
	if ((ip->frag_off & cik_htons(0x3fff)) ||
	    (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP))
		return P_NO_PORTS;
	__u32 off = sizeof(struct ethhdr) + ip->ihl * 4;
	__u32 need = off + (ip->protocol == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr));
	if (need > 14 + 60 + 20)
		return P_NO_PORTS;
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	if (data + need > end) {
		if (bpf_skb_pull_data(skb, need))
			return P_NO_PORTS;
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if (data + need > end)
			return P_NO_PORTS;
	}
	__be16 *ports = data + off;
	if ((void *)(ports + 2) > end)
		return P_NO_PORTS;
	t->sport = ports[0];
	t->dport = ports[1];
	*l4off = off;
	return P_OK;
}

// rewrite sets the source (snat) or destination address and port of a parsed packet,
// through the checksum helpers (offloaded CHECKSUM_PARTIAL packets stay correct; a UDP
// checksum of 0 stays 0).
static __always_inline int rewrite(struct __sk_buff *skb, __u32 l4off, const struct tuple *t,
				   int snat, __be32 addr, __be16 port)
{
	__u32 csum_off = l4off + (t->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
							   : offsetof(struct udphdr, check));
	__u64 mangled0 = t->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 old = snat ? t->saddr : t->daddr;
	__be16 oldport = snat ? t->sport : t->dport;
	__u32 addr_off = sizeof(struct ethhdr) + (snat ? offsetof(struct iphdr, saddr)
						       : offsetof(struct iphdr, daddr));
	__u32 port_off = l4off + (snat ? 0 : 2);

	if (bpf_l4_csum_replace(skb, csum_off, old, addr, BPF_F_PSEUDO_HDR | mangled0 | 4) ||
	    bpf_l4_csum_replace(skb, csum_off, oldport, port, mangled0 | 2) ||
	    bpf_l3_csum_replace(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, check), old,
				addr, 4) ||
	    bpf_skb_store_bytes(skb, addr_off, &addr, 4, 0) ||
	    bpf_skb_store_bytes(skb, port_off, &port, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

// cik_egw_steer sends the traffic of matched entries to their gateway node.
SEC("tc")
int cik_egw_steer(struct __sk_buff *skb)
{
	struct iphdr *ip = ip_header(skb);
	if (!ip)
		return TC_ACT_OK;
	__be32 saddr = ip->saddr;
	__u8 ttl = ip->ttl, tos = ip->tos;
	struct egress_val *e = egress_lookup(saddr, ip->daddr);
	if (!e)
		return TC_ACT_OK;
	__be32 gw = e->gateway_ip;
	if (gw == GW_EXCLUDED) {
		count(EGW_EXCLUDED);
		return TC_ACT_OK;
	}
	if (gw == 0) {
		count(EGW_DROP_POLICY);
		return TC_ACT_SHOT;
	}
	if (is_local_gateway(gw)) {
		count(EGW_LOCAL);
		return TC_ACT_OK;
	}
	if (ttl <= 1)
		return TC_ACT_OK; // the stack drops it and answers time exceeded

	struct bpf_fib_lookup p = {
		.family = CIK_AF_INET,
		.tos = tos,
		.ifindex = skb->ingress_ifindex,
		.ipv4_src = saddr,
		.ipv4_dst = gw,
	};
	long rc = bpf_fib_lookup(skb, &p, sizeof(p), 0);
	// The gateway must be the next hop itself (on-link): a route through a router would
	// send the packet to its destination without passing the gateway.
	if ((rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH) || p.ipv4_dst != gw) {
		count(EGW_DROP_NO_ROUTE);
		return TC_ACT_SHOT;
	}

	// Forwarding hop: TTL - 1 (TTL and protocol share a 16-bit checksum word).
	__u32 ttl_off = sizeof(struct ethhdr) + offsetof(struct iphdr, ttl);
	__u8 nttl = ttl - 1;
	__be16 oldw = cik_htons(((__u16)ttl << 8) | ip->protocol);
	__be16 neww = cik_htons(((__u16)nttl << 8) | ip->protocol);
	if (bpf_l3_csum_replace(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, check), oldw,
				neww, 2) ||
	    bpf_skb_store_bytes(skb, ttl_off, &nttl, 1, 0))
		return TC_ACT_SHOT;
	count(EGW_STEERED);
	skb->mark |= EGW_MARK;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		if (bpf_skb_store_bytes(skb, 0, p.dmac, ETH_ALEN, 0) ||
		    bpf_skb_store_bytes(skb, ETH_ALEN, p.smac, ETH_ALEN, 0))
			return TC_ACT_SHOT;
		return bpf_redirect(p.ifindex, 0);
	}
	struct bpf_redir_neigh nh = {.nh_family = CIK_AF_INET, .ipv4_nh = gw};
	return bpf_redirect_neigh(p.ifindex, &nh, sizeof(nh), 0);
}

static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

// snat_port returns the egress port (network order) of flow t leaving as egress_ip, making
// its connection table entries for a new flow, or 0 when no port is free.
static __always_inline __be16 snat_port(const struct tuple *t, __be32 egress_ip)
{
	__u64 now = bpf_ktime_get_ns();
	struct nat_key fwd = {.saddr = t->saddr, .daddr = t->daddr, .sport = t->sport,
			      .dport = t->dport, .proto = t->proto, .dir = NAT_FWD};
	struct nat_key rev = {.saddr = t->daddr, .daddr = egress_ip, .sport = t->dport,
			      .proto = t->proto, .dir = NAT_REV};
	struct nat_val back = {.addr = t->saddr, .port = t->sport, .last_seen = now};

	struct nat_val *f = bpf_map_lookup_elem(&cik_egw_nat, &fwd);
	if (f && f->addr == egress_ip) {
		rev.dport = f->port;
		struct nat_val *r = bpf_map_lookup_elem(&cik_egw_nat, &rev);
		if (r && r->addr == t->saddr && r->port == t->sport) {
			f->last_seen = now;
			r->last_seen = now;
			return rev.dport;
		}
		// The reply entry was evicted: remake it unless another flow took the port.
		if (!r && !bpf_map_update_elem(&cik_egw_nat, &rev, &back, BPF_NOEXIST)) {
			f->last_seen = now;
			return rev.dport;
		}
	}

	__u32 h = mix32(t->saddr ^ mix32(t->daddr ^ mix32(((__u32)t->sport << 16 | t->dport) ^ t->proto)));
	for (int i = 0; i < NAT_TRIES; i++) {
		__be16 port = t->sport;
		if (i > 0)
			port = cik_htons(NAT_PORT_MIN + (h + (__u32)i * 40503) % NAT_PORT_RANGE);
		rev.dport = port;
		if (bpf_map_update_elem(&cik_egw_nat, &rev, &back, BPF_NOEXIST)) {
			struct nat_val *r = bpf_map_lookup_elem(&cik_egw_nat, &rev);
			if (!r || r->addr != t->saddr || r->port != t->sport)
				continue; // another flow holds this port
			r->last_seen = now;
		}
		struct nat_val out = {.addr = egress_ip, .port = port, .last_seen = now};
		if (bpf_map_update_elem(&cik_egw_nat, &fwd, &out, BPF_ANY)) {
			bpf_map_delete_elem(&cik_egw_nat, &rev);
			return 0;
		}
		count(EGW_SNAT_NEW);
		return port;
	}
	return 0;
}

// cik_egw_snat SNATs the flows of entries whose gateway is this node to their egress IP,
// passes those this node steers to their gateway, and drops the rest of the matched
// traffic.
SEC("tc")
int cik_egw_snat(struct __sk_buff *skb)
{
	struct tuple t = {};
	__u32 l4off = 0;
	int p = parse_l4(skb, &t, &l4off);
	if (p == P_NOT_IPV4)
		return TC_ACT_OK;
	struct egress_val *e = egress_lookup(t.saddr, t.daddr);
	if (!e || e->gateway_ip == GW_EXCLUDED)
		return TC_ACT_OK;
	if (!is_local_gateway(e->gateway_ip)) {
		if (e->gateway_ip != 0 && (skb->mark & EGW_MARK))
			return TC_ACT_OK; // on its way to its gateway
		count(EGW_DROP_NOT_GATEWAY);
		return TC_ACT_SHOT;
	}
	__be32 egress_ip = e->egress_ip;
	if (p != P_OK || egress_ip == 0) {
		count(EGW_DROP_UNSUPPORTED);
		return TC_ACT_SHOT;
	}
	__be16 port = snat_port(&t, egress_ip);
	if (!port) {
		count(EGW_DROP_NO_PORT);
		return TC_ACT_SHOT;
	}
	count(EGW_SNAT);
	return rewrite(skb, l4off, &t, 1, egress_ip, port);
}

// cik_egw_revsnat gives replies to an egress IP their pod's address and port back.
SEC("tc")
int cik_egw_revsnat(struct __sk_buff *skb)
{
	struct tuple t = {};
	__u32 l4off = 0;
	if (parse_l4(skb, &t, &l4off) != P_OK)
		return TC_ACT_OK;
	struct nat_key k = {.saddr = t.saddr, .daddr = t.daddr, .sport = t.sport, .dport = t.dport,
			    .proto = t.proto, .dir = NAT_REV};
	struct nat_val *v = bpf_map_lookup_elem(&cik_egw_nat, &k);
	if (!v)
		return TC_ACT_OK;
	__be32 addr = v->addr;
	__be16 port = v->port;
	v->last_seen = bpf_ktime_get_ns();
	count(EGW_REVSNAT);
	return rewrite(skb, l4off, &t, 0, addr, port);
}
