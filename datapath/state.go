package datapath

// lbState mirrors the load-balancer maps so that writes can be limited to differences.
// It is rebuilt from the maps on Load and after a failed write.
type lbState struct {
	svcs   map[uint64]*svcRec // by svcKey.u64
	byID   []uint64           // service ID -> svcKey.u64 (0 = unused)
	bes    map[uint64]uint32  // revnatKey.u64 -> backend ID
	beVals []backendEntry     // by backend ID; zero value = free slot
	rn     []uint8            // by backend ID: its reverse NAT entry, rnAbsent/rnStale/rnOK
	// rnOrphans are reverse NAT entries found in the map for no programmed backend.
	rnOrphans []revnatKey
	svcIDs    idAlloc
	beIDs     idAlloc
	// Scratch of planWrites, by service ID and backend ID: svcMark[id] == epoch marks
	// a service the operation rewrites or deletes, beMark[id] == epoch a backend a put
	// claims (beOwner[id] is the put's index).
	epoch   uint32
	svcMark []uint32
	beMark  []uint32
	beOwner []int32
}

// nextEpoch starts the marks of a new operation.
func (st *lbState) nextEpoch() uint32 {
	if st.epoch++; st.epoch == 0 {
		clear(st.svcMark)
		clear(st.beMark)
		st.epoch = 1
	}
	return st.epoch
}

// States of a backend's reverse NAT entry.
const (
	rnAbsent uint8 = iota // no entry
	rnStale               // an entry with another value
	rnOK                  // the entry the backend's service implies
)

// svcRec is one programmed service: its map value and its backend IDs.
type svcRec struct {
	val svcVal
	ids []uint32
	// cids are the backend IDs of the Maglev row, as Sync computed them (nil after a
	// rebuild from the maps): with the same backends they give the same fingerprint.
	cids []uint32
	// in is the input of the last successful write of the service (see inBackend),
	// valid when inSet; a rebuild from the maps leaves it unset.
	in    []inBackend
	inSet bool
}

// idAlloc hands out IDs 1..max, lowest unused first after a rebuild.
type idAlloc struct {
	free []uint32 // released IDs, reused last-in first-out
	next uint32   // lowest never-used ID
	max  uint32
}

func (a *idAlloc) alloc() (uint32, bool) {
	if n := len(a.free); n > 0 {
		id := a.free[n-1]
		a.free = a.free[:n-1]
		return id, true
	}
	if a.next <= a.max {
		a.next++
		return a.next - 1, true
	}
	return 0, false
}

// rebuild sets the allocator from the set of used IDs.
func (a *idAlloc) rebuild(max uint32, used func(uint32) bool) {
	*a = idAlloc{next: 1, max: max}
	hi := uint32(0)
	for id := uint32(1); id <= max; id++ {
		if used(id) {
			hi = id
		}
	}
	for id := hi; id >= 1; id-- {
		if !used(id) {
			a.free = append(a.free, id)
		}
	}
	a.next = hi + 1
}

// revnatOf is the reverse NAT value of a backend of service sid with frontend k.
func revnatOf(k svcKey, sid uint32) revnatVal {
	return revnatVal{Vip: k.Vip, Port: k.Port, SvcId: sid}
}
