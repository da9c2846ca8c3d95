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
// IPv4 and IPv6 entries go to their family's maps (one batch each).
func (d *Datapath) writes(puts []prepared, pl *plan, s *SyncStats) error {
	st, t := d.st, &d.addrs
	// Maglev rows are filled meanwhile, on every CPU, and written after the backends
	// they refer to.
	rw := d.startRows(pl.rows)
	defer rw.stop()
	be4, bv4, be6, bv6 := pl.beIDs, pl.beVals, []uint32(nil), []backendEntry6(nil)
	rk4, rv4, rk6, rv6 := pl.rnKeys, pl.rnVals, []revnatKey6(nil), []revnatVal6(nil)
	sk4, sv4, sk6, sv6 := pl.svcKeys, pl.svcVals, []svcKey6(nil), []svcVal(nil)
	if t.used() {
		be4, bv4, be6, bv6 = splitBackends(t, pl.beIDs, pl.beVals)
		rk4, rv4, rk6, rv6 = splitFamilies(pl.rnKeys, pl.rnVals, revnatKeyIs6,
			func(k *revnatKey, v *revnatVal) (revnatKey6, revnatVal6) { return t.revnatKey6(*k), t.revnatVal6(*v) })
		sk4, sv4, sk6, sv6 = splitFamilies(pl.svcKeys, pl.svcVals, svcKeyIs6,
			func(k *svcKey, v *svcVal) (svcKey6, svcVal) { return t.svcKey6(*k), *v })
	}
	// Backends and reverse NAT entries are independent: write them concurrently, and
	// update the mirror meanwhile (on error the mirror is rebuilt from the maps).
	var beCalls int
	beErr := make(chan error, 1)
	go func() {
		err := batchUpdate(d.objs.CikLbBackend, "backends", be4, bv4, &beCalls)
		if err == nil {
			err = batchUpdate(d.objs.CikLbBackend6, "IPv6 backends", be6, bv6, &beCalls)
		}
		beErr <- err
	}()
	rnErr := batchUpdate(d.objs.CikLbRevnat, "reverse NAT", rk4, rv4, &s.Syscalls)
	if rnErr == nil {
		rnErr = batchUpdate(d.objs.CikLbRevnat6, "IPv6 reverse NAT", rk6, rv6, &s.Syscalls)
	}
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
	if err := batchUpdate(d.objs.CikLbSvc, "services", sk4, sv4, &s.Syscalls); err != nil {
		return err
	}
	if err := batchUpdate(d.objs.CikLbSvc6, "IPv6 services", sk6, sv6, &s.Syscalls); err != nil {
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

// splitBackends splits backend writes by the family of each value.
func splitBackends(t *addrTable, ids []uint32, vals []backendEntry) ([]uint32, []backendEntry, []uint32, []backendEntry6) {
	i4, v4, i6, v6 := splitFamilies(vals, ids, func(v *backendEntry) bool { return is6(v.Addr) },
		func(v *backendEntry, id *uint32) (backendEntry6, uint32) { return t.backend6(*v), *id })
	return v4, i4, v6, i6
}

// deletes deletes removed entries: services, Maglev rows, reverse NAT, backends.
func (d *Datapath) deletes(pl *plan, s *SyncStats) error {
	st, t := d.st, &d.addrs
	sd4, sd6 := splitKeys(pl.svcDel, svcKeyIs6, func(k *svcKey) svcKey6 { return t.svcKey6(*k) })
	if err := batchDelete(d.objs.CikLbSvc, "services", sd4, &s.Syscalls); err != nil {
		return err
	}
	if err := batchDelete(d.objs.CikLbSvc6, "IPv6 services", sd6, &s.Syscalls); err != nil {
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
		if err := batchDelete(d.objs.CikLbMaglev, "Maglev", d.rowKeys(rowDel), &s.Syscalls); err != nil {
			return err
		}
	}
	s.MaglevDeleted = len(rowDel)
	rd4, rd6 := splitKeys(pl.rnDel, revnatKeyIs6, func(k *revnatKey) revnatKey6 { return t.revnatKey6(*k) })
	if err := batchDelete(d.objs.CikLbRevnat, "reverse NAT", rd4, &s.Syscalls); err != nil {
		return err
	}
	if err := batchDelete(d.objs.CikLbRevnat6, "IPv6 reverse NAT", rd6, &s.Syscalls); err != nil {
		return err
	}
	s.RevNATDeleted = len(pl.rnDel)
	for _, id := range pl.rnDelIDs {
		st.rn[id] = rnAbsent
	}
	st.rnOrphans = nil
	zero := keysOf(pl.beZero)
	var z4, z6 []uint32
	for _, id := range zero {
		if is6(st.beVals[id].Addr) {
			z6 = append(z6, id)
		} else {
			z4 = append(z4, id)
		}
	}
	for i, id := range pl.crossZero {
		if pl.crossZero6[i] {
			z6 = append(z6, id)
		} else {
			z4 = append(z4, id)
		}
	}
	if err := batchUpdate(d.objs.CikLbBackend, "backends", z4, make([]backendEntry, len(z4)), &s.Syscalls); err != nil {
		return err
	}
	if err := batchUpdate(d.objs.CikLbBackend6, "IPv6 backends", z6, make([]backendEntry6, len(z6)), &s.Syscalls); err != nil {
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
