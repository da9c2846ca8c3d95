// Package l2 builds Cilium L2 announcement policies (CiliumL2AnnouncementPolicy), computes
// lease timing, and holds the announcer used by the thin agent.
package l2
