// Package datapath ships ciliumkit's own small BPF programs and programs their eBPF maps
// from typed Go APIs. It is used by the optional thin agent (examples/thin-agent).
package datapath
