//go:build ignore

// SPDX-License-Identifier: (MIT OR GPL-2.0)
// ciliumkit's IPv4 and IPv6 datapath: XDP and TC-ingress DNAT of TCP/UDP packets for a
// frontend to a backend picked by Maglev on the flow's 5-tuple, TC-egress reverse NAT of
// the replies, and (in the XDP program) ARP replies and IPv6 neighbour advertisements for
// the addresses in the L2 responder maps. IPv6 packets with extension headers, like IPv4
// fragments, are not load-balanced. Everything else passes untouched.

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "cik_bpf.h"
#include "maps.h"

char __license[] SEC("license") = "Dual MIT/GPL";

// Maglev table size M (a prime); set by the Go loader.
volatile const __u32 maglev_m = 16381;
// A service's Maglev row is stored as maglev_chunks elements of cik_lb_maglev holding
// maglev_chunk slots each (maglev_chunk * maglev_chunks >= M); set by the Go loader.
volatile const __u32 maglev_chunk = 964;
volatile const __u32 maglev_chunks = 17;

// Flow hash seed; the Go function FlowHash uses the same value.
#define FLOW_SEED 0x9e3779b97f4a7c15ULL

enum verdict { LB_MISS, LB_DROP, LB_HIT };

struct tuple {
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u8 proto;
};

static __always_inline __u64 mix64(__u64 z)
{
	z ^= z >> 33;
	z *= 0xff51afd7ed558ccdULL;
	z ^= z >> 33;
	z *= 0xc4ceb9fe1a85ec53ULL;
	z ^= z >> 33;
	return z;
}

// flow_hash hashes the 5-tuple in host byte order.
static __always_inline __u64 flow_hash(const struct tuple *t)
{
	__u64 a = ((__u64)cik_ntohl(t->saddr) << 32) | cik_ntohl(t->daddr);
	__u64 b = ((__u64)cik_ntohs(t->sport) << 32) | ((__u64)cik_ntohs(t->dport) << 16) | t->proto;
	return mix64(a ^ mix64(b ^ FLOW_SEED));
}

// maglev_pick sets *be_id to the backend ID in the slot of service id's Maglev row that
// flow hash h selects, and returns 0; -1 when the row is missing.
static __always_inline int maglev_pick(__u32 id, __u64 h, __u32 *be_id)
{
	// Slot = low 32 hash bits scaled to [0, M) by a multiply and shift (no division).
	__u32 m = maglev_m, per = maglev_chunk;
	__u32 idx = ((h & 0xffffffff) * m) >> 32;
	if (idx >= m || per == 0)
		return -1;
	__u32 c = idx / per;
	__u32 off = idx - c * per;
	__u32 key = id * maglev_chunks + c;
	__u32 *row = bpf_map_lookup_elem(&cik_lb_maglev, &key);
	if (!row || off >= per)
		return -1;
	*be_id = row[off];
	return 0;
}

static __always_inline enum verdict select_backend(const struct tuple *t, struct backend **out)
{
	struct svc_key k = {.vip = t->daddr, .port = t->dport, .proto = t->proto};
	struct svc_val *s = bpf_map_lookup_elem(&cik_lb_svc, &k);
	if (!s)
		return LB_MISS;
	if (s->count == 0)
		return LB_DROP;
	__u32 be_id;
	if (maglev_pick(s->id, flow_hash(t), &be_id))
		return LB_DROP;
	struct backend *be = bpf_map_lookup_elem(&cik_lb_backend, &be_id);
	if (!be || !be->addr)
		return LB_DROP;
	*out = be;
	return LB_HIT;
}

// l4_check returns the checksum field of the TCP (proto IPPROTO_TCP) or UDP header at l4,
// or 0 when the header does not fit before end.
static __always_inline __u16 *l4_check(void *l4, void *end, __u8 proto)
{
	if (proto == IPPROTO_TCP)
		return l4 + sizeof(struct tcphdr) > end ? 0 : &((struct tcphdr *)l4)->check;
	return l4 + sizeof(struct udphdr) > end ? 0 : &((struct udphdr *)l4)->check;
}

// l4_set_port sets the destination (dnat) or source port of the TCP or UDP header at l4,
// puts the old one in *oldport and returns the header's checksum field for the caller to
// update; 0 when the header does not fit before end (nothing changed) or when a UDP
// checksum is 0 (none: it stays 0).
static __always_inline __u16 *l4_set_port(void *l4, void *end, __u8 proto, int dnat, __be16 port,
					  __u16 *oldport)
{
	__u16 *check = l4_check(l4, end, proto);
	if (!check)
		return 0;
	__u16 *pp = dnat ? &((__u16 *)l4)[1] : &((__u16 *)l4)[0];
	*oldport = *pp;
	*pp = port;
	if (proto == IPPROTO_UDP && *check == 0)
		return 0;
	return check;
}

// l4_store_check stores checksum c in check; a UDP result of 0 is sent as 0xffff.
static __always_inline void l4_store_check(__u16 *check, __u8 proto, __u16 c)
{
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	*check = c;
}

// parse fills t from an Ethernet/IPv4/TCP|UDP packet and returns the L4 offset, or -1 for
// anything else (other protocols, IP fragments, truncated headers).
static __always_inline int parse(void *data, void *end, struct tuple *t)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != cik_htons(ETH_P_IP))
		return -1;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5 || (ip->frag_off & cik_htons(0x3fff)))
		return -1;
	__u32 l4off = sizeof(*eth) + ip->ihl * 4;
	__u16 *ports = data + l4off;
	if ((ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) ||
	    !l4_check(ports, end, ip->protocol))
		return -1;
	t->saddr = ip->saddr;
	t->daddr = ip->daddr;
	t->sport = ports[0];
	t->dport = ports[1];
	t->proto = ip->protocol;
	return l4off;
}

static __always_inline __u16 csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

// csum_replace updates a ones-complement checksum for a 32-bit field changing from old to
// new and a 16-bit field changing from old16 to new16 (RFC 1624, eqn. 3).
static __always_inline __u16 csum_replace(__u16 check, __u32 old, __u32 new, __u16 old16,
					  __u16 new16)
{
	__u32 s = (__u16)~check;
	s += (__u16)~old + (__u16)~(old >> 16) + (new & 0xffff) + (new >> 16);
	s += (__u16)~old16 + new16;
	return ~csum_fold(s);
}

// xdp_rewrite sets the destination (dnat) or source address and port and updates the IPv4
// and L4 checksums in place. A UDP checksum of 0 (none) stays 0.
static __always_inline void xdp_rewrite(void *data, void *end, int l4off, __u8 proto, int dnat,
					__be32 addr, __be16 port)
{
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > end)
		return;
	__be32 *ap = dnat ? &ip->daddr : &ip->saddr;
	__be32 old = *ap;
	ip->check = csum_replace(ip->check, old, addr, 0, 0);
	*ap = addr;

	if (l4off < 0 || l4off > 80)
		return;
	__u16 oldport;
	__u16 *check = l4_set_port(data + l4off, end, proto, dnat, port, &oldport);
	if (check)
		l4_store_check(check, proto, csum_replace(*check, old, addr, oldport, port));
}

#define ARP_HRD_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

// An Ethernet/IPv4 ARP packet (RFC 826).
struct arp_eth {
	struct ethhdr eth;
	struct {
		__be16 ar_hrd, ar_pro;
		__u8 ar_hln, ar_pln;
		__be16 ar_op;
	} arp;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

// arp_reply turns an ARP request for an address in the L2 responder map of the receiving
// interface into the reply, in place, and returns XDP_TX; anything else XDP_PASS.
static __always_inline int arp_reply(struct xdp_md *ctx, void *data, void *end)
{
	struct arp_eth *p = data;
	if ((void *)(p + 1) > end || p->arp.ar_hrd != cik_htons(ARP_HRD_ETHER) ||
	    p->arp.ar_pro != cik_htons(ETH_P_IP) || p->arp.ar_hln != ETH_ALEN || p->arp.ar_pln != 4 ||
	    p->arp.ar_op != cik_htons(ARP_OP_REQUEST))
		return XDP_PASS;
	struct l2_key k = {.ip = p->tpa, .ifindex = ctx->ingress_ifindex};
	struct l2_val *v = bpf_map_lookup_elem(&cik_l2resp_v4, &k);
	if (!v)
		return XDP_PASS;
	__be32 asker = p->spa;
	__builtin_memcpy(p->eth.h_dest, p->sha, ETH_ALEN);
	__builtin_memcpy(p->eth.h_source, v->mac, ETH_ALEN);
	p->arp.ar_op = cik_htons(ARP_OP_REPLY);
	__builtin_memcpy(p->tha, p->sha, ETH_ALEN);
	p->tpa = asker;
	__builtin_memcpy(p->sha, v->mac, ETH_ALEN);
	p->spa = k.ip;
	__sync_fetch_and_add(&v->responses, 1);
	return XDP_TX;
}

// The IPv6 counterparts of tuple, parse, flow_hash, select_backend and xdp_rewrite.

struct tuple6 {
	__be32 saddr[4], daddr[4];
	__be16 sport, dport;
	__u8 proto;
};

// parse6 fills t from an Ethernet/IPv6/TCP|UDP packet without extension headers and
// returns the L4 offset, or -1 for anything else.
static __always_inline int parse6(void *data, void *end, struct tuple6 *t)
{
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != cik_htons(ETH_P_IPV6))
		return -1;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > end)
		return -1;
	__u32 l4off = sizeof(*eth) + sizeof(*ip6);
	__u16 *ports = data + l4off;
	if ((ip6->nexthdr != IPPROTO_TCP && ip6->nexthdr != IPPROTO_UDP) ||
	    !l4_check(ports, end, ip6->nexthdr))
		return -1;
	__builtin_memcpy(t->saddr, &ip6->saddr, 16);
	__builtin_memcpy(t->daddr, &ip6->daddr, 16);
	t->sport = ports[0];
	t->dport = ports[1];
	t->proto = ip6->nexthdr;
	return l4off;
}

// half64 is the 64-bit host-order integer of two network-order address words.
static __always_inline __u64 half64(const __be32 *w)
{
	return ((__u64)cik_ntohl(w[0]) << 32) | cik_ntohl(w[1]);
}

// flow_hash6 hashes the IPv6 5-tuple: ports and protocol first, then the destination's
// and the source's low and high halves (host byte order), each through mix64.
static __always_inline __u64 flow_hash6(const struct tuple6 *t)
{
	__u64 b = ((__u64)cik_ntohs(t->sport) << 32) | ((__u64)cik_ntohs(t->dport) << 16) | t->proto;
	__u64 x = mix64(b ^ FLOW_SEED);
	x = mix64(x ^ half64(&t->daddr[2]));
	x = mix64(x ^ half64(&t->daddr[0]));
	x = mix64(x ^ half64(&t->saddr[2]));
	return mix64(x ^ half64(&t->saddr[0]));
}

static __always_inline enum verdict select_backend6(const struct tuple6 *t, struct backend6 **out)
{
	struct svc_key6 k = {.port = t->dport, .proto = t->proto};
	__builtin_memcpy(k.vip, t->daddr, 16);
	struct svc_val *s = bpf_map_lookup_elem(&cik_lb_svc6, &k);
	if (!s)
		return LB_MISS;
	if (s->count == 0)
		return LB_DROP;
	__u32 be_id;
	if (maglev_pick(s->id, flow_hash6(t), &be_id))
		return LB_DROP;
	struct backend6 *be = bpf_map_lookup_elem(&cik_lb_backend6, &be_id);
	if (!be || !(be->addr[0] | be->addr[1] | be->addr[2] | be->addr[3]))
		return LB_DROP;
	*out = be;
	return LB_HIT;
}

// csum_replace6 is csum_replace for a 128-bit field and a 16-bit field.
static __always_inline __u16 csum_replace6(__u16 check, const __be32 *old, const __be32 *new,
					   __u16 old16, __u16 new16)
{
	__u32 s = (__u16)~check;
#pragma unroll
	for (int i = 0; i < 4; i++)
		s += (__u16)~old[i] + (__u16)~(old[i] >> 16) + (new[i] & 0xffff) + (new[i] >> 16);
	s += (__u16)~old16 + new16;
	return ~csum_fold(s);
}

// xdp_rewrite6 sets the destination (dnat) or source address and port of an IPv6 packet
// and updates the L4 checksum in place. A UDP checksum of 0 stays 0.
static __always_inline void xdp_rewrite6(void *data, void *end, __u8 proto, int dnat,
					 const __be32 *addr, __be16 port)
{
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	if ((void *)(ip6 + 1) > end)
		return;
	__be32 *ap = dnat ? ip6->daddr.in6_u.u6_addr32 : ip6->saddr.in6_u.u6_addr32;
	__be32 old[4], new[4];
	__builtin_memcpy(old, ap, 16);
	__builtin_memcpy(new, addr, 16);
	__builtin_memcpy(ap, new, 16);

	__u16 oldport;
	__u16 *check = l4_set_port((void *)(ip6 + 1), end, proto, dnat, port, &oldport);
	if (check)
		l4_store_check(check, proto, csum_replace6(*check, old, new, oldport, port));
}

#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_OPT_TARGET_LL_ADDR 2

// An Ethernet/IPv6 neighbour advertisement with a target link-layer address option
// (RFC 4861, 4.4 and 4.6.1): what a neighbour solicitation is rewritten into. A
// solicitation has the same layout up to the end of the target address.
struct na_eth {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	__u8 type;
	__u8 code;
	__be16 cksum;
	__be32 flags;
	__be32 target[4];
	__u8 opt_type;
	__u8 opt_len;
	__u8 opt_mac[ETH_ALEN];
} __attribute__((packed));

// icmp6_csum is the ICMPv6 checksum of an advertisement (its cksum field 0): the
// ones-complement sum of the pseudo-header (addresses, upper-layer length 32, next header
// 58) and the 32-byte message, summed as network-order words.
static __always_inline __u16 icmp6_csum(struct na_eth *p)
{
	__u32 s = cik_htons(32) + cik_htons(IPPROTO_ICMPV6);
	__u16 *a = (void *)p + offsetof(struct na_eth, ip6) + offsetof(struct ipv6hdr, saddr);
#pragma unroll
	for (int i = 0; i < 16; i++)
		s += a[i];
	__u16 *m = (void *)p + offsetof(struct na_eth, type);
#pragma unroll
	for (int i = 0; i < 16; i++)
		s += m[i];
	return ~csum_fold(s);
}

// ndp_reply turns a neighbour solicitation for an address in the IPv6 L2 responder map of
// the receiving interface into the solicited advertisement (solicited and override flags,
// the map's MAC as target link-layer address), in place, and returns XDP_TX; anything
// else, and solicitations from the unspecified address (duplicate address detection),
// XDP_PASS.
static __always_inline int ndp_reply(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct na_eth *p = data;
	if (data + offsetof(struct na_eth, opt_type) > end || p->ip6.nexthdr != IPPROTO_ICMPV6 ||
	    p->ip6.hop_limit != 255 || p->type != ND_NEIGHBOR_SOLICIT || p->code != 0)
		return XDP_PASS;
	struct l2_key6 k = {.ifindex = ctx->ingress_ifindex};
	__builtin_memcpy(k.ip, p->target, 16);
	struct l2_val *v = bpf_map_lookup_elem(&cik_l2resp_v6, &k);
	if (!v)
		return XDP_PASS;
	__be32 asker[4];
	__builtin_memcpy(asker, &p->ip6.saddr, 16);
	if (!(asker[0] | asker[1] | asker[2] | asker[3]))
		return XDP_PASS;
	__u8 asker_mac[ETH_ALEN];
	__builtin_memcpy(asker_mac, p->eth.h_source, ETH_ALEN);
	// Make the packet exactly one advertisement long (a solicitation may lack the source
	// link-layer address option or carry more options).
	int delta = (int)sizeof(struct na_eth) - (int)(end - data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	p = data;
	if ((void *)(p + 1) > end)
		return XDP_PASS;
	__builtin_memcpy(p->eth.h_dest, asker_mac, ETH_ALEN);
	__builtin_memcpy(p->eth.h_source, v->mac, ETH_ALEN);
	// version 6, no traffic class or flow label
	*(__be32 *)((void *)p + offsetof(struct na_eth, ip6)) = cik_htonl(0x60000000);
	p->ip6.payload_len = cik_htons(sizeof(struct na_eth) - offsetof(struct na_eth, type));
	p->ip6.nexthdr = IPPROTO_ICMPV6;
	p->ip6.hop_limit = 255;
	__builtin_memcpy(&p->ip6.saddr, k.ip, 16);
	__builtin_memcpy(&p->ip6.daddr, asker, 16);
	p->type = ND_NEIGHBOR_ADVERT;
	p->code = 0;
	p->cksum = 0;
	p->flags = cik_htonl(0x60000000); // solicited, override
	p->opt_type = ND_OPT_TARGET_LL_ADDR;
	p->opt_len = 1; // 8 bytes
	__builtin_memcpy(p->opt_mac, v->mac, ETH_ALEN);
	p->cksum = icmp6_csum(p);
	__sync_fetch_and_add(&v->responses, 1);
	return XDP_TX;
}

// xdp_lb6 is cik_xdp_lb for IPv6 packets.
static __always_inline int xdp_lb6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);
	if ((void *)(ip6 + 1) <= end && ip6->nexthdr == IPPROTO_ICMPV6)
		return ndp_reply(ctx);
	struct tuple6 t = {};
	if (parse6(data, end, &t) < 0)
		return XDP_PASS;
	struct backend6 *be = 0;
	switch (select_backend6(&t, &be)) {
	case LB_MISS:
		return XDP_PASS;
	case LB_DROP:
		return XDP_DROP;
	case LB_HIT:
		break;
	}
	xdp_rewrite6(data, end, t.proto, 1, be->addr, be->port);
	return XDP_PASS;
}

// cik_xdp_lb DNATs packets for a frontend and passes them on to the stack (XDP_PASS);
// frontends without a backend are dropped (XDP_DROP). ARP requests and neighbour
// solicitations for an address in the L2 responder maps are answered (XDP_TX). All other
// packets pass untouched.
SEC("xdp")
int cik_xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) <= end && eth->h_proto == cik_htons(ETH_P_ARP))
		return arp_reply(ctx, data, end);
	if ((void *)(eth + 1) <= end && eth->h_proto == cik_htons(ETH_P_IPV6))
		return xdp_lb6(ctx);
	struct tuple t = {};
	int l4off = parse(data, end, &t);
	if (l4off < 0)
		return XDP_PASS;
	struct backend *be = 0;
	switch (select_backend(&t, &be)) {
	case LB_MISS:
		return XDP_PASS;
	case LB_DROP:
		return XDP_DROP;
	case LB_HIT:
		break;
	}
	xdp_rewrite(data, end, l4off, t.proto, 1, be->addr, be->port);
	return XDP_PASS;
}

// tc_rewrite is xdp_rewrite for an skb, through the checksum helpers so that offloaded
// (CHECKSUM_PARTIAL) packets stay correct.
static __always_inline int tc_rewrite(struct __sk_buff *skb, int l4off, const struct tuple *t,
				      int dnat, __be32 addr, __be16 port)
{
	__u32 csum_off = l4off + (t->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
							   : offsetof(struct udphdr, check));
	__u64 mangled0 = t->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 old = dnat ? t->daddr : t->saddr;
	__be16 oldport = dnat ? t->dport : t->sport;
	__u32 addr_off = sizeof(struct ethhdr) + (dnat ? offsetof(struct iphdr, daddr)
						       : offsetof(struct iphdr, saddr));
	__u32 port_off = l4off + (dnat ? 2 : 0);

	if (bpf_l4_csum_replace(skb, csum_off, old, addr, BPF_F_PSEUDO_HDR | mangled0 | 4) ||
	    bpf_l4_csum_replace(skb, csum_off, oldport, port, mangled0 | 2) ||
	    bpf_l3_csum_replace(skb, sizeof(struct ethhdr) + offsetof(struct iphdr, check), old,
				addr, 4) ||
	    bpf_skb_store_bytes(skb, addr_off, &addr, 4, 0) ||
	    bpf_skb_store_bytes(skb, port_off, &port, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

// tc_rewrite6 is tc_rewrite for IPv6: the address change enters the L4 checksum as one
// difference (bpf_csum_diff), as IPv6 has no header checksum.
static __always_inline int tc_rewrite6(struct __sk_buff *skb, int l4off, const struct tuple6 *t,
				       int dnat, const __be32 *addr, __be16 port)
{
	__u32 csum_off = l4off + (t->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
							   : offsetof(struct udphdr, check));
	__u64 mangled0 = t->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__be32 old[4], new[4];
	__builtin_memcpy(old, dnat ? t->daddr : t->saddr, 16);
	__builtin_memcpy(new, addr, 16);
	__be16 oldport = dnat ? t->dport : t->sport;
	__u32 addr_off = sizeof(struct ethhdr) + (dnat ? offsetof(struct ipv6hdr, daddr)
						       : offsetof(struct ipv6hdr, saddr));
	__u32 port_off = l4off + (dnat ? 2 : 0);
	__s64 diff = bpf_csum_diff(old, 16, new, 16, 0);
	if (diff < 0 ||
	    bpf_l4_csum_replace(skb, csum_off, 0, (__u32)diff, BPF_F_PSEUDO_HDR | mangled0) ||
	    bpf_l4_csum_replace(skb, csum_off, oldport, port, mangled0 | 2) ||
	    bpf_skb_store_bytes(skb, addr_off, new, 16, 0) ||
	    bpf_skb_store_bytes(skb, port_off, &port, 2, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

// tc_lb6 is cik_tc_lb for IPv6 packets.
static __always_inline int tc_lb6(struct __sk_buff *skb)
{
	struct tuple6 t = {};
	int l4off = parse6((void *)(long)skb->data, (void *)(long)skb->data_end, &t);
	if (l4off < 0)
		return TC_ACT_OK;
	struct backend6 *be = 0;
	switch (select_backend6(&t, &be)) {
	case LB_MISS:
		return TC_ACT_OK;
	case LB_DROP:
		return TC_ACT_SHOT;
	case LB_HIT:
		break;
	}
	return tc_rewrite6(skb, l4off, &t, 1, be->addr, be->port);
}

// tc_revnat6 is cik_tc_revnat for IPv6 packets.
static __always_inline int tc_revnat6(struct __sk_buff *skb)
{
	struct tuple6 t = {};
	int l4off = parse6((void *)(long)skb->data, (void *)(long)skb->data_end, &t);
	if (l4off < 0)
		return TC_ACT_OK;
	struct revnat_key6 k = {.port = t.sport, .proto = t.proto};
	__builtin_memcpy(k.addr, t.saddr, 16);
	struct revnat_val6 *v = bpf_map_lookup_elem(&cik_lb_revnat6, &k);
	if (!v)
		return TC_ACT_OK;
	return tc_rewrite6(skb, l4off, &t, 0, v->vip, v->port);
}

// cik_tc_lb is cik_xdp_lb for TC ingress: TC_ACT_OK after DNAT or on a miss, TC_ACT_SHOT for
// frontends without a backend.
SEC("tc")
int cik_tc_lb(struct __sk_buff *skb)
{
	struct tuple t = {};
	int l4off = parse((void *)(long)skb->data, (void *)(long)skb->data_end, &t);
	if (l4off < 0)
		return tc_lb6(skb);
	struct backend *be = 0;
	switch (select_backend(&t, &be)) {
	case LB_MISS:
		return TC_ACT_OK;
	case LB_DROP:
		return TC_ACT_SHOT;
	case LB_HIT:
		break;
	}
	return tc_rewrite(skb, l4off, &t, 1, be->addr, be->port);
}

// cik_tc_revnat rewrites the source of replies from a backend to its frontend (TC egress).
SEC("tc")
int cik_tc_revnat(struct __sk_buff *skb)
{
	struct tuple t = {};
	int l4off = parse((void *)(long)skb->data, (void *)(long)skb->data_end, &t);
	if (l4off < 0)
		return tc_revnat6(skb);
	struct revnat_key k = {.addr = t.saddr, .port = t.sport, .proto = t.proto};
	struct revnat_val *v = bpf_map_lookup_elem(&cik_lb_revnat, &k);
	if (!v)
		return TC_ACT_OK;
	return tc_rewrite(skb, l4off, &t, 0, v->vip, v->port);
}
