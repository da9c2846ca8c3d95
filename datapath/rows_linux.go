package datapath

import (
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// rowBatch is a buffer of Maglev rows for one batch syscall: rows rows of rowN map
// elements each, the keys of their elements in keys.
type rowBatch struct {
	keys []uint32
	vals reflect.Value // []([rowPer]uint32) over buf
	buf  []uint32
	rows int
	err  error
}

// rowBatchBytes is the most row data one batch syscall writes.
const rowBatchBytes = 4 << 20

// rowWriter fills Maglev rows on several goroutines (one per CPU, each with its own
// maglev.Builder) into batch buffers, ahead of the writing, which must wait until the
// backends the rows refer to are written and is done by several goroutines too.
type rowWriter struct {
	d    *Datapath
	full chan *rowBatch
	free chan *rowBatch
	done chan struct{}
	wg   sync.WaitGroup
	n    int
	// writers is the number of goroutines that write batches.
	writers int
}

// rowWriters is the most goroutines that write Maglev batches at once (one per CPU up
// to this). Most of a batch syscall's time is the kernel allocating, zeroing and copying
// the rows, which runs on the calling CPU: on 2 CPUs, two writers halved the wall time of
// 10,000 cold rows of M=16381 when each row was one element (0.9 s instead of 1.7 s). The
// bound keeps the buffers in flight (4 MiB each) few on large machines.
const rowWriters = 4

// startRows starts filling rows; write writes them. stop must be called (write does).
func (d *Datapath) startRows(rows []row) *rowWriter {
	w := &rowWriter{d: d, n: len(rows), done: make(chan struct{})}
	if len(rows) == 0 {
		return w
	}
	m := int(d.opts.MaglevTableSize)
	per, n := int(d.rowPer), int(d.rowN)
	stride := per * n // a row's slots in a batch buffer, its unused tail included
	chunk := max(1, min(len(rows), rowBatchBytes/(4*stride)))
	chunks := (len(rows) + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	w.writers = min(workers, rowWriters)
	// Buffers let the fillers get up to about 32 MiB ahead of the writes.
	nbuf := min(chunks, workers+w.writers+max(1, (32<<20)/(4*stride*chunk)))
	w.full, w.free = make(chan *rowBatch, nbuf), make(chan *rowBatch, nbuf)
	for range nbuf {
		// The batch API wants one value per key: a slice of [rowPer]uint32, built by
		// reflection since the size is known at run time, filled through a flat
		// []uint32 view. A row's unused tail slots are never written and stay 0.
		v := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(per, reflect.TypeFor[uint32]())), chunk*n, chunk*n)
		w.free <- &rowBatch{keys: make([]uint32, 0, chunk*n), vals: v, buf: unsafe.Slice((*uint32)(v.UnsafePointer()), chunk*stride)}
	}
	var next atomic.Int64
	for i := range workers {
		g := d.maglev
		if i > 0 {
			g, _ = maglev.New(uint32(m)) // m was validated at Load
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				start := int(next.Add(1)-1) * chunk
				if start >= len(rows) {
					return
				}
				var rb *rowBatch
				select {
				case rb = <-w.free:
				case <-w.done:
					return
				}
				rb.keys, rb.rows, rb.err = rb.keys[:0], 0, nil
				for j, r := range rows[start:min(start+chunk, len(rows))] {
					// Slots get the backend IDs directly.
					if err := g.FillValues(rb.buf[j*stride:j*stride+m], r.cand, r.ids); err != nil {
						rb.err = fmt.Errorf("service ID %d: %w", r.id, err)
						break
					}
					for c := range uint32(n) {
						rb.keys = append(rb.keys, r.id*uint32(n)+c)
					}
					rb.rows++
				}
				w.d.rowsFilled.Add(int64(rb.rows))
				w.full <- rb // full has room for every buffer
			}
		}()
	}
	go func() { w.wg.Wait(); close(w.full) }()
	return w
}

// write writes the rows as they are filled, a few MiB per batch syscall from w.writers
// goroutines, and returns the number written and the time spent since write was called.
// On an error it stops at the next batch and returns the error (rows of batches already
// written stay written, as before a failed single write).
func (w *rowWriter) write(syscalls *int) (int, time.Duration, error) {
	t0 := time.Now()
	defer close(w.done)
	if w.n == 0 {
		return 0, 0, nil
	}
	var (
		wg      sync.WaitGroup
		written atomic.Int64
		failed  atomic.Bool
		errs    = make([]error, w.writers)
		calls   = make([]int, w.writers)
	)
	for i := range w.writers {
		wg.Go(func() {
			for rb := range w.full {
				if failed.Load() {
					return
				}
				err := rb.err
				if err == nil {
					err = batchUpdate(w.d.objs.CikLbMaglev, "Maglev", rb.keys, rb.vals.Slice(0, len(rb.keys)).Interface(), &calls[i])
				}
				if err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				written.Add(int64(rb.rows))
				w.free <- rb
			}
		})
	}
	wg.Wait()
	for _, c := range calls {
		*syscalls += c
	}
	var err error
	for _, e := range errs {
		if e != nil {
			err = e // the first writer's; a concurrent one's is most likely the same
			break
		}
	}
	return int(written.Load()), time.Since(t0), err
}

// stop ends the fillers without writing (write stops them too).
func (w *rowWriter) stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
}

// rowKeys returns the keys of the Maglev map elements of the rows of service IDs ids.
func (d *Datapath) rowKeys(ids []uint32) []uint32 {
	if d.rowN == 1 {
		return ids
	}
	keys := make([]uint32, 0, len(ids)*int(d.rowN))
	for _, id := range ids {
		for c := range d.rowN {
			keys = append(keys, id*d.rowN+c)
		}
	}
	return keys
}

// readRow reads service ID id's Maglev row of M backend IDs.
func (d *Datapath) readRow(id uint32) ([]uint32, error) {
	m, per := int(d.opts.MaglevTableSize), int(d.rowPer)
	ids := make([]uint32, per*int(d.rowN))
	for c := range int(d.rowN) {
		if err := d.objs.CikLbMaglev.Lookup(id*d.rowN+uint32(c), ids[c*per:(c+1)*per]); err != nil {
			return nil, fmt.Errorf("element %d of %d: %w", c, d.rowN, err)
		}
	}
	return ids[:m], nil
}
