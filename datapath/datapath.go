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
	// rowPer and rowN are the shape of a Maglev row in the map (see rowShape).
	rowPer, rowN uint32
	// order is the frontends of the last successful Sync, in its order, with their
	// records: a resync listing them in the same order finds each record without a map
	// lookup (see unchanged).
	order []orderEnt
	// rowsFilled counts the Maglev rows filled (maglev.Builder.FillValues calls) since Load.
	rowsFilled atomic.Int64
}

// MaglevArrayLimit is the most kernel memory, in bytes, the Maglev map may preallocate:
// when the rows of MaxServices+1 services fit, the map is an array (allocated at load,
// cheapest lookup); otherwise it is a hash whose rows are allocated as services are
// added.
const MaglevArrayLimit = 256 << 20

// maglevFitsArray reports whether the Maglev rows of o fit in MaglevArrayLimit.
func maglevFitsArray(o *Options) bool {
	per, n := rowShape(o.MaglevTableSize)
	return uint64(o.MaxServices+1)*uint64(n)*uint64(4*per) <= MaglevArrayLimit
}

// rowChunkSlots is the most Maglev slots one element of the Maglev map holds. A hash
// element is a 48-byte header, the key rounded up to 8 bytes and the value, plus the
// 8-byte link of the kernel's BPF allocator: 1008 uint32 slots make exactly 4096 bytes, a
// slab object, where a whole row of M=16381 would be a 128 KiB page allocation (measured
// for 10,000 rows written by two goroutines: 1.6 s of system CPU and ~740 MB instead of
// 4.8 s and ~1.35 GB).
const rowChunkSlots = 1008

// rowShape returns how a Maglev row of m slots is stored: n map elements of per slots
// each, n = ceil(m/rowChunkSlots) and per = ceil(m/n), so per*n >= m and the slots
// past m in a row's last element are unused. Slot i of service ID id's row is slot
// i%per of element id*n + i/per.
func rowShape(m uint32) (per, n uint32) {
	n = (m + rowChunkSlots - 1) / rowChunkSlots
	return (m + n - 1) / n, n
}

// Options returns the options d was loaded with, defaults filled in.
func (d *Datapath) Options() Options { return d.opts }
