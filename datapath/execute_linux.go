package datapath

// execute writes a plan in traffic-safe order and updates the mirror.
func (d *Datapath) execute(puts []prepared, pl *plan) (SyncStats, error) {
	var s SyncStats
	if pl.deleteFirst {
		if err := d.deletes(pl, &s); err != nil {
			return s, err
		}
		return s, d.writes(puts, pl, &s)
	}
	if err := d.writes(puts, pl, &s); err != nil {
		return s, err
	}
	return s, d.deletes(pl, &s)
}

// writes writes new and changed entries: backends and reverse NAT, Maglev rows, services.
func (d *Datapath) writes(puts []prepared, pl *plan, s *SyncStats) error {
	st := d.st
	// Maglev rows are filled meanwhile, on every CPU, and written after the backends
	// they refer to.
	rw := d.startRows(pl.rows)
	defer rw.stop()
	// Backends and reverse NAT entries are independent: write them concurrently, and
	// update the mirror meanwhile (on error the mirror is rebuilt from the maps).
	var beCalls int
	beErr := make(chan error, 1)
	go func() {
		beErr <- batchUpdate(d.objs.CikLbBackend, "backends", pl.beIDs, pl.beVals, &beCalls)
	}()
	rnErr := batchUpdate(d.objs.CikLbRevnat, "reverse NAT", pl.rnKeys, pl.rnVals, &s.Syscalls)
	for i, id := range pl.beIDs {
		st.beVals[id] = pl.beVals[i]
		st.bes[pl.beVals[i].key().u64()] = id
	}
	for _, id := range pl.rnIDs {
		st.rn[id] = rnOK
	}
	err := <-beErr
	s.Syscalls += beCalls
	if err != nil {
		return err
	}
	s.BackendsWritten = len(pl.beIDs)
	if rnErr != nil {
		return rnErr
	}
	s.RevNATWritten = len(pl.rnKeys)
	n, dur, err := rw.write(&s.Syscalls)
	s.MaglevWritten, s.MaglevDuration = n, dur
	if err != nil {
		return err
	}
	if err := batchUpdate(d.objs.CikLbSvc, "services", pl.svcKeys, pl.svcVals, &s.Syscalls); err != nil {
		return err
	}
	s.ServicesWritten = len(pl.svcKeys)
	for i := range puts {
		k, rec := puts[i].key, pl.svcRecs[i]
		if rec == nil {
			continue // unchanged
		}
		if old := pl.oldRecs[i]; old != nil {
			old.in, old.inSet = nil, false // no longer the frontend's record
		}
		st.svcs[k.u64()] = rec
		st.byID[rec.val.Id] = k.u64()
	}
	return nil
}

// deletes deletes removed entries: services, Maglev rows, reverse NAT, backends.
func (d *Datapath) deletes(pl *plan, s *SyncStats) error {
	st := d.st
	if err := batchDelete(d.objs.CikLbSvc, "services", pl.svcDel, &s.Syscalls); err != nil {
		return err
	}
	s.ServicesDeleted = len(pl.svcDel)
	for _, k := range pl.svcDel {
		rec := st.svcs[k.u64()]
		rec.in, rec.inSet = nil, false
		if id := rec.val.Id; st.byID[id] == k.u64() {
			st.byID[id] = 0
		}
		delete(st.svcs, k.u64())
	}
	rowDel := keysOf(pl.rowDel)
	if !d.maglevArray {
		if err := batchDelete(d.objs.CikLbMaglev, "Maglev", rowDel, &s.Syscalls); err != nil {
			return err
		}
	}
	s.MaglevDeleted = len(rowDel)
	if err := batchDelete(d.objs.CikLbRevnat, "reverse NAT", pl.rnDel, &s.Syscalls); err != nil {
		return err
	}
	s.RevNATDeleted = len(pl.rnDel)
	for _, id := range pl.rnDelIDs {
		st.rn[id] = rnAbsent
	}
	st.rnOrphans = nil
	zero := keysOf(pl.beZero)
	if err := batchUpdate(d.objs.CikLbBackend, "backends", zero, make([]backendEntry, len(zero)), &s.Syscalls); err != nil {
		return err
	}
	s.BackendsDeleted = len(zero)
	for _, id := range zero {
		if k := st.beVals[id].key().u64(); st.bes[k] == id {
			delete(st.bes, k)
		}
		st.beVals[id] = backendEntry{}
	}
	st.svcIDs.free = append(st.svcIDs.free, pl.freeSvc...)
	st.beIDs.free = append(st.beIDs.free, pl.freeBE...)
	return nil
}
