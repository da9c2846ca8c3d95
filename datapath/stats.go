package datapath

import "time"

// SyncStats counts the map entries one write operation wrote and deleted, and the
// syscalls it used. A Maglev row is one entry of M backend IDs.
type SyncStats struct {
	// ServicesWritten and ServicesDeleted count service map entries.
	ServicesWritten, ServicesDeleted int
	// BackendsWritten counts backend slots set; BackendsDeleted counts slots cleared.
	BackendsWritten, BackendsDeleted int
	// RevNATWritten and RevNATDeleted count reverse NAT map entries.
	RevNATWritten, RevNATDeleted int
	// MaglevWritten counts Maglev rows built and written; MaglevDeleted counts rows
	// deleted, or released when the Maglev map is an array (see MaglevArrayLimit; the row
	// then stays in place unused, without a syscall).
	MaglevWritten, MaglevDeleted int
	// EgressWritten and EgressDeleted count egress gateway map entries (SyncEgress).
	EgressWritten, EgressDeleted int
	// L2Written and L2Deleted count L2 responder map entries (SyncL2Responders).
	L2Written, L2Deleted int
	// Syscalls counts the map update and delete syscalls issued (batch or single).
	Syscalls int
	// Duration is the wall time of a service operation (Sync, UpsertService,
	// DeleteService), validation included; MaglevDuration is the part spent writing
	// Maglev rows after the backends, waiting for rows still being built included (rows
	// are built on every CPU while the backends are written). Both are zero for egress
	// and L2 syncs.
	Duration, MaglevDuration time.Duration
}

// Counts returns s without its durations, for comparisons.
func (s SyncStats) Counts() SyncStats {
	s.Duration, s.MaglevDuration = 0, 0
	return s
}

// Entries returns the number of entries written or deleted, all maps together.
func (s SyncStats) Entries() int {
	return s.ServicesWritten + s.ServicesDeleted + s.BackendsWritten + s.BackendsDeleted +
		s.RevNATWritten + s.RevNATDeleted + s.MaglevWritten + s.MaglevDeleted +
		s.EgressWritten + s.EgressDeleted + s.L2Written + s.L2Deleted
}
