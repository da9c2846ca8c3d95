// Package datapath ships ciliumkit's own small BPF programs and programs their eBPF maps
// from typed Go APIs. The optional thin agent (examples/thin-agent) uses it to make a plain
// Linux node reach the mesh's services; the package also carries the egress gateway
// datapath (programs, LPM map and connection table; examples/egress-gateway is an agent
// that drives it) and programs the L2 responder maps that answer ARP and IPv6 neighbour
// solicitations for LB IPs.
//
// # Programs
//
// lb.c (built with clang-14 through bpf2go; lb_bpfel.go and lb_bpfel.o are generated and
// committed) holds three programs, IPv4 and IPv6, and egressgw.c three more (below):
//
//   - XDPProgram: for an Ethernet/IPv4 or IPv6 TCP or UDP packet whose (destination address,
//     destination port, protocol) is a programmed frontend, pick a backend with Maglev on
//     the 5-tuple (slot maglev.FlowSlot of the service's table), rewrite the destination
//     address and port, update the IPv4 and L4 checksums incrementally (a UDP checksum of
//     0 stays 0) and return XDP_PASS so the stack forwards it. A frontend with no Maglev
//     backend is dropped (XDP_DROP). Everything else passes untouched: other addresses,
//     ports or protocols, other EtherTypes, IPv4 fragments, IPv6 packets with extension
//     headers (the TCP or UDP header must follow the IPv6 header), truncated headers.
//     IPv4 options are handled. The IPv6 5-tuple hash differs from the IPv4 one
//     (maglev.FlowSlot computes both). It also answers ARP requests and neighbour
//     solicitations for the addresses in the L2 responder maps of the receiving interface
//     (XDP_TX; see L2Responder).
//   - TCIngressProgram: the same for TC ingress (TC_ACT_OK, TC_ACT_SHOT), through the
//     kernel's checksum helpers so that offloaded (CHECKSUM_PARTIAL) packets stay correct.
//     The TC programs read headers from the skb's linear area and do not pull: a packet
//     whose headers are not linear passes untouched.
//   - TCEgressProgram: reverse NAT for TC egress: a packet whose (source address, source
//     port, protocol) is a programmed backend gets its frontend's VIP and port as source.
//
// egressgw.c (built the same way into egressgw_bpfel.go and egressgw_bpfel.o) holds the
// egress gateway programs, IPv4 only, driven by the egress map (cik_egress_v4, shared
// with lb.c's object) that SyncEgress programs:
//
//   - EgressSteerProgram (HookEgressSteer: TC ingress of the host side of every pod
//     interface, on every node): a packet whose {source, destination} matches an entry
//     is dropped for gateway 0.0.0.0, passed to the stack for an excluded CIDR (0.0.0.1)
//     or when the gateway is this node (SetEgressNodeIP), and otherwise sent to the
//     gateway node as the next hop: a FIB lookup of the gateway IP (bpf_fib_lookup)
//     gives the interface and MAC addresses, the TTL is decremented and the packet is
//     redirected (bpf_redirect, or bpf_redirect_neigh when the gateway's MAC is not yet
//     resolved), its source and destination untouched, with EgressSteerMark set. The
//     gateway must be on-link (the route to it must not go through a router; otherwise
//     the router would deliver the packet without the gateway) and the node must
//     forward IPv4: anything else is dropped and counted (DroppedNoRoute).
//   - EgressSNATProgram (HookEgressSNAT: TC egress of a node's uplink): TCP and UDP of an
//     entry whose gateway is this node get the entry's egress IP as source. The source
//     port is kept when no other flow holds it for the same egress IP and destination,
//     else one of 31 ports hashed from the flow in [1024, 65535] is taken. The flow is
//     recorded in both directions in the connection table. Matched packets that cannot
//     be SNATed (other protocols, IP fragments, an entry without egress IP, no free
//     port) are dropped, and so are packets of an entry naming another gateway, or
//     none, that this node did not steer (no EgressSteerMark): a worker that still
//     steers to a gateway which has already handed its endpoints to another one. Nothing
//     of a matched flow leaves a node with the pod's own address.
//   - EgressRevSNATProgram (HookEgressRevSNAT: TC ingress of the gateway's uplink):
//     replies to an egress IP and port in the connection table get the pod's address and
//     port back as destination; the gateway's stack then routes them to the pod's node.
//
// The egress programs pull headers into the skb's linear area when they are not there.
// Their packet counters are read with EgressCounters.
//
// Why ciliumkit's own SNAT and not the kernel's: the kernel's NAT (nftables or iptables
// masquerade, with BPF only classifying) would need a userspace tool and a second rule
// set kept in step with the egress map on every gateway, would interact with whatever
// firewall the node already runs, and is not what Cilium does (its egress gateway
// SNATs in BPF). Doing both sides in BPF keeps one source of truth (the LPM map, with
// the same entries on every node), needs no package beyond the kernel, and lets a
// restarted agent resume from pinned maps with every flow intact. The cost is a
// deliberately small NAT: TCP and UDP only, no ICMP error translation, no IP fragments,
// no per-state timeouts (entries leave the LRU table when it is full, or by
// PruneEgressConnections). Steering redirects to the gateway as the next hop instead of
// encapsulating (Cilium uses its VXLAN/Geneve tunnel): no MTU overhead and no
// decapsulation, at the price of requiring the gateway on the same L2 segment. Replies
// return by ordinary routing, so the gateway must route the pods' ranges to their nodes
// (native routing), must own the egress IP on its uplink (to answer ARP for it; the
// seed's egress-ip-assign pod does this) and should not send ICMP redirects
// (net.ipv4.conf.*.send_redirects=0: it forwards out of the interface the packet came
// in by). When a gateway fails over, flows it was carrying break (the new gateway has
// no state for them), as in Cilium; new flows leave through the new gateway. Unlike
// Cilium, which leaves traffic to cluster endpoints (pods, nodes) alone whatever the
// policy says, the programs know only the map: a policy's destinations should exclude
// the cluster's pod and node ranges (egress/plancheck reports destinations covering pod
// ranges).
//
// The reverse NAT is stateless (no connection tracking): it keys on the backend, so a
// backend (address, port, protocol) may belong to one frontend only; Sync and
// UpsertService refuse a second one with ErrDuplicate. A backend has its frontend's
// address family (no translation between IPv4 and IPv6). SCTP is not supported
// (ErrUnsupported).
//
// Some addresses are refused with ErrUnsupported before anything is written
// (Service.Validate runs the same checks without a kernel): frontends that are
// unspecified (0.0.0.0/8, ::), the broadcast address 255.255.255.255, multicast or
// loopback (127.0.0.0/8, ::1, whatever the port: a frontend 127.0.0.1:22 would capture
// the node's own SSH connections on the interfaces the programs are attached to), and
// backends that are unspecified (the backends maps mark a free slot with an all-zero
// address), 255.255.255.255 or multicast; IPv4-mapped IPv6 and zoned addresses, for
// either. Loopback backends are accepted.
//
// # Attaching
//
// Attach attaches a program to an interface of the calling thread's network namespace.
// With PinDir the link is pinned as cik_link_<hook>_<netns>_<ifindex>, <netns> being the
// namespace's cookie ("ns" and a number; the namespace inode, "ino" and a number, on
// kernels before 5.14), so agents in several namespaces can share one pin directory and
// a restarted agent finds its own link. A pinned link whose interface is gone attaches
// nothing: Attach replaces it, PruneLinks removes every such pin, and CheckAttach
// reports beforehand (without changing anything) whether Attach can succeed, so that a
// program can check its targets before it writes the maps.
//
// # Maps
//
// All maps are pinned by name under Options.PinDir when it is set. Fields marked "network
// order" hold the bytes as on the wire; all others are host (little-endian) integers.
//
//   - cik_lb_svc, hash, Options.MaxServices entries. Key (8 bytes): VIP (4, network
//     order), port (2, network order), IP protocol (1), pad (1, zero). Value (16 bytes):
//     service ID uint32 (1..MaxServices), Maglev backend count uint16 (0 = drop), flags
//     uint16 (zero), fingerprint uint64 of the Maglev row's inputs.
//   - cik_lb_backend, array indexed by backend ID uint32 (1..MaxBackends; 0 unused),
//     MaxBackends+1 entries. Value (16 bytes): address (4, network order), port (2,
//     network order), protocol (1), lb.BackendState (1), cluster ID uint32, service ID
//     uint32. An all-zero entry is a free slot.
//   - cik_lb_revnat, hash, MaxBackends entries. Key (8 bytes): backend address (4,
//     network order), port (2, network order), protocol (1), pad (1). Value (12 bytes):
//     VIP (4, network order), port (2, network order), pad (2), service ID uint32.
//   - cik_lb_svc6, cik_lb_backend6, cik_lb_revnat6: the same for IPv6 frontends and
//     backends, with 16-byte addresses (network order) where the IPv4 maps have 4 (keys
//     20 bytes, backend entries 28, reverse NAT values 24). The hashes are not
//     preallocated (BPF_F_NO_PREALLOC: no kernel memory while no IPv6 service exists).
//     IPv6 services take their IDs from the IPv4 services' ID space and their rows from
//     cik_lb_maglev; IPv6 backends take theirs from the IPv4 backends' ID space, so an ID
//     is in use in at most one of the two backend arrays. MaxServices and MaxBackends
//     count both families together.
//   - cik_lb_maglev: each service's row of M backend IDs (uint32) cut into
//     n = ceil(M/1008) elements of per = ceil(M/n) IDs (value 4*per bytes; the slots
//     past M in the last element are unused); element c of service ID id has key
//     id*n + c (uint32). An array of (MaxServices+1)*n elements when that fits in
//     MaglevArrayLimit, else a hash allocating elements on demand. A map of whole rows
//     pinned by an earlier version (value 4*M bytes) is unpinned by Load and its rows
//     are written again by the next Sync.
//   - cik_egress_v4, LPM trie, Options.MaxEgress entries. Key (12 bytes): prefix length
//     uint32 = 32 + destination prefix bits; source IPv4 (4, network order, matched as a
//     /32); destination IPv4 (4, network order, masked). Value (8 bytes): egress IP,
//     gateway IP (4 each, network order); gateway 0.0.0.0 drops, 0.0.0.1 marks an
//     excluded CIDR. Written by SyncEgress.
//   - cik_egw_nat, LRU hash, Options.MaxEgressConnections entries: the egress gateway
//     connection table, two entries per flow. Key (16 bytes): source, destination (4
//     each, network order), source port, destination port (2 each, network order), IP
//     protocol (1), direction (1: 0 = the flow as the pod sent it, 1 = a reply as it
//     reaches the gateway: external source, egress IP and port as destination), pad
//     (2). Value (16 bytes): address (4, network order) and port (2, network order) the
//     direction is rewritten to (egress IP and port, or the pod's), pad (2), time of the
//     latest packet uint64 (CLOCK_MONOTONIC ns). Read with EgressConnections.
//   - cik_egw_cfg, array of 1. Value (8 bytes): this node's IP (4, network order; 0 =
//     none), flags uint32 (zero). Written by SetEgressNodeIP.
//   - cik_egw_stats, per-CPU array of 11 uint64 counters (EgressCounters, in its field
//     order).
//   - cik_l2resp_v4, hash, Options.MaxL2Responders entries. Key (8 bytes): IPv4 address
//     (4, network order), ifindex uint32. Value (16 bytes): replies sent uint64 (counted
//     by the XDP program, kept by SyncL2Responders), MAC address (6 bytes, wire order),
//     pad (2).
//   - cik_l2resp_v6, the same for IPv6 addresses, MaxL2Responders entries. Key (20
//     bytes): IPv6 address (16, network order), ifindex uint32.
//
// # Writing the maps
//
// Sync makes the maps hold exactly a desired set of services, UpsertService and
// DeleteService change one. All three validate first (nothing is written when any input
// is invalid or a capacity would be exceeded), compare with a mirror of the maps (read
// back on Load, so a restarted agent resumes from pinned maps) and write only the
// entries that differ, with batch syscalls, reporting counts in SyncStats. Maglev rows
// are built on one goroutine per CPU while the backends are written. Backends and
// Maglev rows are written before the service entries that use them and removed after,
// except when a map is too full to hold old and new entries at once: then removals go
// first.
//
// The datapath remembers, per frontend, the input of its last successful write (its
// backends' addresses, ports, protocols, states, cluster IDs and Preferred marks): a
// service given again with identical input is neither validated, converted nor compared
// again, so a resync that changes nothing costs a pass over the input. A failed
// operation, and Load, remember nothing. After a restart on pinned maps, a service
// whose Maglev row matches the fingerprint stored in its service entry keeps its row:
// no row is rebuilt.
//
// Which backends fill a service's Maglev table is decided by Service.MaglevBackends:
// active backends, restricted to those marked Preferred (the side clustermesh affinity
// prefers, as lb.Select marks it) when one of them is active; terminating, quarantined
// and maintenance backends take no new flows but keep their reverse NAT entries. The
// tables themselves are built by package datapath/maglev.
//
// # Operating systems
//
// The package builds on every GOOS. Loading and attaching the programs and every map
// operation need Linux (files *_linux.go; the generated lb_bpfel.go and
// egressgw_bpfel.go are Linux-only too):
// elsewhere Load returns an error wrapping errors.ErrUnsupported, after validating its
// options, and so do Attach and the map methods (*_other.go). The types, validation,
// encoding and planning of what to write are pure Go and the same everywhere. On Linux
// the programs are built for little-endian CPUs (bpf2go target bpfel).
package datapath
