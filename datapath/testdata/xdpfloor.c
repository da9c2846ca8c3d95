// SPDX-License-Identifier: (MIT OR GPL-2.0)
// The floor BenchmarkXDP compares the load balancer's hit path with: the least an XDP
// DNAT can do. It parses Ethernet, IPv4 (with options) and TCP, does one hash lookup of
// the destination (address, port) and rewrites destination address and port with
// incremental checksum updates. Built for the benchmark only (xdpfloor_bpfel_test.go).

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int(*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;

char __license[] SEC("license") = "Dual MIT/GPL";

struct floor_key {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

struct floor_val {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct floor_key);
	__type(value, struct floor_val);
} floor_dnat SEC(".maps");

// fold32 adds the two halves of a 32-bit field to a ones-complement sum.
static inline __u32 fold32(__u32 v) { return (v & 0xffff) + (v >> 16); }

// update returns check after a 32-bit field went from o to n and a 16-bit one from o16 to
// n16 (RFC 1624: ~(~HC + ~m + m')).
static inline __u16 update(__u16 check, __u32 o, __u32 n, __u16 o16, __u16 n16)
{
	__u32 s = (__u16)~check;
	s += fold32(~o) + fold32(n) + (__u16)~o16 + n16;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

SEC("xdp")
int xdp_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != __builtin_bswap16(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl < 5)
		return XDP_PASS;
	struct tcphdr *tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > end)
		return XDP_PASS;
	struct floor_key k = {.addr = ip->daddr, .port = tcp->dest};
	struct floor_val *v = bpf_map_lookup_elem(&floor_dnat, &k);
	if (!v)
		return XDP_PASS;
	ip->check = update(ip->check, ip->daddr, v->addr, 0, 0);
	tcp->check = update(tcp->check, ip->daddr, v->addr, tcp->dest, v->port);
	ip->daddr = v->addr;
	tcp->dest = v->port;
	return XDP_PASS;
}
