package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ciliumkit/ciliumkit/datapath"
)

// mapWriter is the part of *datapath.Datapath the syncer uses.
type mapWriter interface {
	Sync(desired []datapath.Service) (datapath.SyncStats, error)
}

// syncer writes the view into the maps: once every source has finished its initial list
// (or sync.timeout passed), then after every change, debounced. Each write is a
// datapath.Sync of the whole desired set: the datapath compares it with its mirror of
// the maps and writes only the entries that differ, so a changed backend costs its own
// entries and its service's Maglev row, nothing else, and a restarted agent writes
// nothing for services that did not change. A write the datapath refuses (invalid input,
// capacity) changes nothing in the maps; it is retried after a backoff and on the next
// change.
type syncer struct {
	view     *view
	dp       mapWriter
	m        *metrics
	log      *slog.Logger
	debounce time.Duration
	timeout  time.Duration
	sources  []source
	// wrote is set after the first write; ok reports whether the latest write succeeded.
	wrote, ok atomic.Bool
}

// allSynced reports whether every source finished its initial list.
func (s *syncer) allSynced() bool {
	for _, src := range s.sources {
		if !src.isSynced() {
			return false
		}
	}
	return true
}

// run writes until ctx ends. It returns after the write in progress, if any, finished.
func (s *syncer) run(ctx context.Context) {
	start := time.Now()
	deadline := time.NewTimer(s.timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	for !s.allSynced() {
		select {
		case <-ctx.Done():
			tick.Stop()
			return
		case <-deadline.C:
			var missing []string
			for _, src := range s.sources {
				if !src.isSynced() {
					missing = append(missing, src.name())
				}
			}
			s.log.Warn("writing the maps before every source synced", "waited", s.timeout, "missing", missing)
			goto write
		case <-tick.C:
		}
	}
	s.log.Info("every source synced", "after", time.Since(start).Round(time.Millisecond))
write:
	tick.Stop()
	backoff := time.Second
	var retry <-chan time.Time
	for {
		if s.write() {
			backoff, retry = time.Second, nil
		} else {
			retry = time.After(backoff)
			backoff = min(2*backoff, 30*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-retry:
		case <-s.view.notify:
			// Collect the rest of a burst before writing.
			t := time.NewTimer(s.debounce)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// write takes a snapshot of the view and syncs it; it reports success.
func (s *syncer) write() bool {
	snap := s.view.snapshot()
	for _, src := range s.sources {
		v := 0.0
		if src.isSynced() {
			v = 1
		}
		s.m.sourceSynced.WithLabelValues(src.name()).Set(v)
	}
	s.m.skipped.Reset()
	for r, n := range snap.skips {
		s.m.skipped.WithLabelValues(r).Set(float64(n))
	}
	st, err := s.dp.Sync(snap.services)
	s.m.syncDuration.Observe(st.Duration.Seconds())
	if err != nil {
		s.ok.Store(false)
		s.wrote.Store(true)
		s.m.syncs.WithLabelValues("error").Inc()
		s.log.Error("datapath write refused; the maps keep their previous state", "services", len(snap.services), "error", err)
		return false
	}
	if !snap.since.IsZero() {
		s.m.syncLatency.Observe(time.Since(snap.since).Seconds())
	}
	s.m.syncs.WithLabelValues("ok").Inc()
	written := st.ServicesWritten + st.BackendsWritten + st.RevNATWritten + st.MaglevWritten
	deleted := st.ServicesDeleted + st.BackendsDeleted + st.RevNATDeleted + st.MaglevDeleted
	s.m.entries.WithLabelValues("written").Add(float64(written))
	s.m.entries.WithLabelValues("deleted").Add(float64(deleted))
	var local, remote int
	for _, sv := range snap.services {
		for _, b := range sv.Backends {
			if b.Remote {
				remote++
			} else {
				local++
			}
		}
	}
	s.m.services.Set(float64(len(snap.services)))
	s.m.backends.WithLabelValues("local").Set(float64(local))
	s.m.backends.WithLabelValues("remote").Set(float64(remote))
	// Ready only once the metrics describe what was written, so that a scrape right after
	// the first 200 from /readyz sees this write.
	s.ok.Store(true)
	s.wrote.Store(true)
	lvl := slog.LevelInfo
	if written+deleted == 0 {
		lvl = slog.LevelDebug
	}
	s.log.Log(context.Background(), lvl, "datapath synced", "services", len(snap.services), "changedKeys", snap.changed,
		"servicesWritten", st.ServicesWritten, "servicesDeleted", st.ServicesDeleted,
		"backendsWritten", st.BackendsWritten, "backendsDeleted", st.BackendsDeleted,
		"maglevWritten", st.MaglevWritten, "syscalls", st.Syscalls, "duration", st.Duration)
	return true
}

// ready reports whether the agent is ready: every source synced and the latest write
// succeeded.
func (s *syncer) ready() (bool, string) {
	switch {
	case !s.allSynced():
		return false, "waiting for sources"
	case !s.wrote.Load():
		return false, "maps not written yet"
	case !s.ok.Load():
		return false, "latest datapath write failed"
	}
	return true, "ok"
}
