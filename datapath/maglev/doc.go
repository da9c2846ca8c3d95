// Package maglev builds Maglev lookup tables (Eisenbud et al., "Maglev: A Fast and
// Reliable Software Network Load Balancer", NSDI 2016) and computes the table slot a flow
// takes, exactly as ciliumkit's BPF programs do (package datapath).
//
// A table has M slots, M a prime in [MinSize, MaxSize] (Cilium's sizes 251, 509, 1021,
// 2039, 4093, 8191, 16381, 32749, 65521 and 131071 all qualify; DefaultSize is Cilium's
// default). Builder.Fill assigns every slot to one of N backends so that each backend owns
// floor(M/N) or ceil(M/N) slots, the table depends only on the set of backends (not their
// order), and removing one backend moves few slots of the others; Builder.FillValues
// writes a value per backend (such as its ID) instead of its index. FlowSlot is the Go
// mirror of the programs' choice of slot for an IPv4 or IPv6 5-tuple, so a table read back from
// the kernel tells which backend a given flow reaches.
//
// The package is pure Go and imports only the standard library.
package maglev
