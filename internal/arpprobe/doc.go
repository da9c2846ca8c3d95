// Package arpprobe is test support for code that answers ARP: a Prober sends Ethernet/IPv4
// ARP requests from one interface through an AF_PACKET socket and records every ARP
// packet the interface receives, with its arrival time, so that a test can ask who
// answers for an address, how often and how soon, and which gratuitous ARP was sent.
//
// The socket is opened in the network namespace of the calling OS thread: a test that
// works in a namespace calls New while its goroutine is locked to a thread inside that
// namespace; the socket stays there when used from other goroutines afterwards.
//
// The Prober is Linux-only (it needs AF_PACKET); on other systems the package is empty.
// Nothing here imports testing: failures are returned as errors.
package arpprobe
