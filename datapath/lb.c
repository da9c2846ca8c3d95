//go:build ignore

// SPDX-License-Identifier: (MIT OR GPL-2.0)
// ciliumkit's IPv4 datapath: XDP and TC-ingress DNAT of TCP/UDP packets for a frontend to
// a backend picked by Maglev on the flow's 5-tuple, TC-egress reverse NAT of the replies,
// and (in the XDP program) ARP replies for the addresses in the L2 responder map.
// Everything else passes untouched.

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "cik_bpf.h"
#include "maps.h"

char __license[] SEC("license") = "Dual MIT/GPL";

// Maglev table size M (a prime); set by the Go loader.
volatile const __u32 maglev_m = 16381;

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

static __always_inline enum verdict select_backend(const struct tuple *t, struct backend **out)
{
	struct svc_key k = {.vip = t->daddr, .port = t->dport, .proto = t->proto};
	struct svc_val *s = bpf_map_lookup_elem(&cik_lb_svc, &k);
	if (!s)
		return LB_MISS;
	if (s->count == 0)
		return LB_DROP;
	__u32 id = s->id;
	__u32 *row = bpf_map_lookup_elem(&cik_lb_maglev, &id);
	if (!row)
		return LB_DROP;
	// Slot = low 32 hash bits scaled to [0, M) by a multiply and shift (no division).
	__u32 m = maglev_m;
	__u32 idx = ((flow_hash(t) & 0xffffffff) * m) >> 32;
	if (idx >= m)
		return LB_DROP;
	__u32 be_id = row[idx];
	struct backend *be = bpf_map_lookup_elem(&cik_lb_backend, &be_id);
	if (!be || !be->addr)
		return LB_DROP;
	*out = be;
	return LB_HIT;
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
	if (ip->protocol == IPPROTO_TCP) {
		if ((void *)ports + sizeof(struct tcphdr) > end)
			return -1;
	} else if (ip->protocol == IPPROTO_UDP) {
		if ((void *)ports + sizeof(struct udphdr) > end)
			return -1;
	} else {
		return -1;
	}
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
	void *l4 = data + l4off;
	__u16 *ports = l4;
	__u16 *check;
	if (proto == IPPROTO_TCP) {
		if (l4 + sizeof(struct tcphdr) > end)
			return;
		check = &((struct tcphdr *)l4)->check;
	} else {
		if (l4 + sizeof(struct udphdr) > end)
			return;
		check = &((struct udphdr *)l4)->check;
	}
	__u16 *pp = dnat ? &ports[1] : &ports[0];
	__u16 oldport = *pp;
	*pp = port;
	if (proto == IPPROTO_UDP && *check == 0)
		return;
	__u16 c = csum_replace(*check, old, addr, oldport, port);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	*check = c;
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

// cik_xdp_lb DNATs packets for a frontend and passes them on to the stack (XDP_PASS);
// frontends without a backend are dropped (XDP_DROP). ARP requests for an address in the
// L2 responder map are answered (XDP_TX). All other packets pass untouched.
SEC("xdp")
int cik_xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) <= end && eth->h_proto == cik_htons(ETH_P_ARP))
		return arp_reply(ctx, data, end);
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

// cik_tc_lb is cik_xdp_lb for TC ingress: TC_ACT_OK after DNAT or on a miss, TC_ACT_SHOT for
// frontends without a backend.
SEC("tc")
int cik_tc_lb(struct __sk_buff *skb)
{
	struct tuple t = {};
	int l4off = parse((void *)(long)skb->data, (void *)(long)skb->data_end, &t);
	if (l4off < 0)
		return TC_ACT_OK;
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
		return TC_ACT_OK;
	struct revnat_key k = {.addr = t.saddr, .port = t.sport, .proto = t.proto};
	struct revnat_val *v = bpf_map_lookup_elem(&cik_lb_revnat, &k);
	if (!v)
		return TC_ACT_OK;
	return tc_rewrite(skb, l4off, &t, 0, v->vip, v->port);
}
