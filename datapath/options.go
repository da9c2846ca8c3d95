package datapath

import (
	"fmt"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// Default capacities used when an Options field is zero. The default Maglev table size
// is maglev.DefaultSize.
const (
	// DefaultMaxServices is the capacity of the services and Maglev maps (frontends).
	DefaultMaxServices = 65536
	// DefaultMaxBackends is the capacity of the backends and reverse NAT maps.
	DefaultMaxBackends = 262144
	// DefaultMaxEgress is the capacity of the egress gateway LPM trie.
	DefaultMaxEgress = 16384
	// DefaultMaxL2Responders is the capacity of the L2 responder map.
	DefaultMaxL2Responders = 4096
	// DefaultMaxEgressConnections is the capacity of the egress gateway connection table
	// (two entries per SNATed flow, so 32768 flows).
	DefaultMaxEgressConnections = 65536
)

// Options configures Load. The zero value (or nil) selects every default and no pinning.
type Options struct {
	// PinDir is a directory on a bpffs mount where the maps are pinned by name. Maps
	// already pinned there are reused (they must match the capacities below), so an agent
	// restart keeps its state and traffic flowing. Empty means no pinning.
	PinDir string
	// MaglevTableSize is M, the number of slots in each service's Maglev table: a prime
	// in [maglev.MinSize, maglev.MaxSize] = [3, 131071]. Zero means maglev.DefaultSize
	// (16381). A row is stored as ceil(M/1008) map elements of equal size (17 of 964
	// slots at 16381). Kernel memory for Maglev tables: when the rows fit in
	// MaglevArrayLimit the map is a preallocated array of about 4*M bytes per service
	// whether or not it has a backend; otherwise a hash in which each element of a row of
	// a service with a backend is one kernel allocation of 4*M/n+64 bytes rounded up to
	// the allocator's size class (68 KiB per row at 16381, 8 KiB at 1021, 2 KiB at 251).
	// MaxServices times the elements of a row must be at most 2^26.
	MaglevTableSize uint32
	// MaxServices is the number of frontends the maps hold, IPv4 and IPv6 together, in
	// [1, 1<<24]. Zero means DefaultMaxServices.
	MaxServices uint32
	// MaxBackends is the number of backends the maps hold across all services, IPv4 and
	// IPv6 together, in [1, 1<<24]. Zero means DefaultMaxBackends.
	MaxBackends uint32
	// MaxEgress is the number of egress gateway entries, in [1, 1<<24]. Zero means
	// DefaultMaxEgress.
	MaxEgress uint32
	// MaxL2Responders is the number of (IP, ifindex) L2 responder entries per address
	// family, in [1, 1<<24]. Zero means DefaultMaxL2Responders.
	MaxL2Responders uint32
	// MaxEgressConnections is the number of entries of the egress gateway connection
	// table, an LRU hash preallocated at load (about 100 bytes of kernel memory each),
	// in [2, 1<<24]; each SNATed flow takes two. Zero means DefaultMaxEgressConnections.
	MaxEgressConnections uint32
}

// withDefaults returns a copy of o with defaults filled in, or an error naming the first
// field out of range.
func (o *Options) withDefaults() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	def := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	def(&r.MaglevTableSize, maglev.DefaultSize)
	def(&r.MaxServices, DefaultMaxServices)
	def(&r.MaxBackends, DefaultMaxBackends)
	def(&r.MaxEgress, DefaultMaxEgress)
	def(&r.MaxL2Responders, DefaultMaxL2Responders)
	def(&r.MaxEgressConnections, DefaultMaxEgressConnections)
	if err := maglev.ValidateSize(r.MaglevTableSize); err != nil {
		return r, fmt.Errorf("%w: MaglevTableSize: %w", ErrInvalidOptions, err)
	}
	for _, f := range []struct {
		name string
		v    uint32
	}{
		{"MaxServices", r.MaxServices}, {"MaxBackends", r.MaxBackends},
		{"MaxEgress", r.MaxEgress}, {"MaxL2Responders", r.MaxL2Responders},
		{"MaxEgressConnections", r.MaxEgressConnections},
	} {
		if f.v > 1<<24 {
			return r, fmt.Errorf("%w: %s = %d, want at most %d", ErrInvalidOptions, f.name, f.v, 1<<24)
		}
	}
	// The Maglev map holds MaxServices rows of n elements each (see rowShape); the
	// kernel refuses a hash of more than 2^31 entries, and already 2^28 buckets cost
	// 4 GiB.
	if _, n := rowShape(r.MaglevTableSize); uint64(r.MaxServices)*uint64(n) > maxRowElems {
		return r, fmt.Errorf("%w: MaxServices = %d with MaglevTableSize = %d needs %d Maglev map entries (%d per row), want at most %d",
			ErrInvalidOptions, r.MaxServices, r.MaglevTableSize, uint64(r.MaxServices)*uint64(n), n, maxRowElems)
	}
	if r.MaxEgressConnections < 2 {
		return r, fmt.Errorf("%w: MaxEgressConnections = %d, want at least 2 (one flow)", ErrInvalidOptions, r.MaxEgressConnections)
	}
	return r, nil
}

// maxRowElems is the most elements the Maglev map may have (MaxServices times the
// elements of a row).
const maxRowElems = 1 << 26
