// Package datapath ships ciliumkit's own small BPF programs and programs their eBPF maps
// from typed Go APIs. The optional thin agent (examples/thin-agent) uses it to make a plain
// Linux node reach the mesh's services; the package also programs the egress gateway LPM
// map and the L2 responder map that answers ARP for LB IPs.
//
// # Programs
//
// lb.c (built with clang-14 through bpf2go; lb_bpfel.go and lb_bpfel.o are generated and
// committed) holds three programs, IPv4 only:
//
//   - XDPProgram: for an Ethernet/IPv4 TCP or UDP packet whose (destination address,
//     destination port, protocol) is a programmed frontend, pick a backend with Maglev on
//     the 5-tuple (slot maglev.FlowSlot of the service's table), rewrite the destination
//     address and port, update the IPv4 and L4 checksums incrementally (a UDP checksum of
//     0 stays 0) and return XDP_PASS so the stack forwards it. A frontend with no Maglev
//     backend is dropped (XDP_DROP). Everything else passes untouched: other addresses,
//     ports or protocols, non-IPv4, IP fragments, truncated headers. IP options are
//     handled. It also answers ARP requests for the addresses in the L2 responder map of
//     the receiving interface (XDP_TX; see L2Responder).
//   - TCIngressProgram: the same for TC ingress (TC_ACT_OK, TC_ACT_SHOT), through the
//     kernel's checksum helpers so that offloaded (CHECKSUM_PARTIAL) packets stay correct.
//     The TC programs read headers from the skb's linear area and do not pull: a packet
//     whose headers are not linear passes untouched.
//   - TCEgressProgram: reverse NAT for TC egress: a packet whose (source address, source
//     port, protocol) is a programmed backend gets its frontend's VIP and port as source.
//
// The reverse NAT is stateless (no connection tracking): it keys on the backend, so a
// backend (address, port, protocol) may belong to one frontend only; Sync and
// UpsertService refuse a second one with ErrDuplicate. IPv6 and SCTP are not supported
// (ErrUnsupported).
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
//   - cik_lb_maglev, keyed by service ID uint32. Value: M backend IDs (uint32 each, 4*M
//     bytes). An array of MaxServices+1 rows when that fits in MaglevArrayLimit, else a
//     hash allocating rows on demand.
//   - cik_egress_v4, LPM trie, Options.MaxEgress entries. Key (12 bytes): prefix length
//     uint32 = 32 + destination prefix bits; source IPv4 (4, network order, matched as a
//     /32); destination IPv4 (4, network order, masked). Value (8 bytes): egress IP,
//     gateway IP (4 each, network order); gateway 0.0.0.0 drops, 0.0.0.1 marks an
//     excluded CIDR. Written by SyncEgress.
//   - cik_l2resp_v4, hash, Options.MaxL2Responders entries. Key (8 bytes): IPv4 address
//     (4, network order), ifindex uint32. Value (16 bytes): replies sent uint64 (counted
//     by the XDP program, kept by SyncL2Responders), MAC address (6 bytes, wire order),
//     pad (2).
//
// # Writing the maps
//
// Sync makes the maps hold exactly a desired set of services, UpsertService and
// DeleteService change one. All three validate first (nothing is written when any input
// is invalid or a capacity would be exceeded), compare with a mirror of the maps (read
// back on Load, so a restarted agent resumes from pinned maps) and write only the
// entries that differ, with batch syscalls, reporting counts in SyncStats. Backends and
// Maglev rows are written before the service entries that use them and removed after,
// except when a map is too full to hold old and new entries at once: then removals go
// first.
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
// operation need Linux (files *_linux.go; the generated lb_bpfel.go is Linux-only too):
// elsewhere Load returns an error wrapping errors.ErrUnsupported, after validating its
// options, and so do Attach and the map methods (*_other.go). The types, validation,
// encoding and planning of what to write are pure Go and the same everywhere. On Linux
// the programs are built for little-endian CPUs (bpf2go target bpfel).
package datapath
