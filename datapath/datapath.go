package datapath

import (
	"sync/atomic"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// Datapath holds ciliumkit's loaded BPF programs and their maps, and a mirror of what the
// maps hold so that syncs write only what changed. Methods are not safe for concurrent
// use. Close releases the Go objects; pinned maps stay in the kernel. Only Load makes a
// Datapath (the zero value is not usable), and Load succeeds on Linux only.
type Datapath struct {
	kernel // the loaded objects: per OS, empty off Linux
	opts   Options
	maglev *maglev.Builder
	st     *lbState
	// addrs holds the IPv6 addresses behind the handles in the mirror's keys (addr6.go).
	addrs addrTable
	// maglevArray: the Maglev map is an array indexed by service ID (rows are never
	// deleted, only left unused), not a hash.
	maglevArray bool
	// order is the frontends of the last successful Sync, in its order, with their
	// records: a resync listing them in the same order finds each record without a map
	// lookup (see unchanged).
	order []orderEnt
	// rowsFilled counts the Maglev rows filled (maglev.Builder.FillValues calls) since Load.
	rowsFilled atomic.Int64
}

// MaglevArrayLimit is the most kernel memory, in bytes, the Maglev map may preallocate:
// when (MaxServices+1) * 4 * MaglevTableSize fits, the map is an array indexed by service ID
// (allocated at load, cheapest lookup); otherwise it is a hash whose rows are allocated as
// services are added.
const MaglevArrayLimit = 256 << 20

// maglevFitsArray reports whether the Maglev rows of o fit in MaglevArrayLimit.
func maglevFitsArray(o *Options) bool {
	return uint64(o.MaxServices+1)*uint64(4*o.MaglevTableSize) <= MaglevArrayLimit
}

// Options returns the options d was loaded with, defaults filled in.
func (d *Datapath) Options() Options { return d.opts }
