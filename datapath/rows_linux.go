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

// rowBatch is a buffer of Maglev rows for one batch syscall.
type rowBatch struct {
	keys []uint32
	vals reflect.Value // []([M]uint32) over buf
	buf  []uint32
	err  error
}

// rowBatchBytes is the most row data one batch syscall writes.
const rowBatchBytes = 4 << 20

// rowWriter fills Maglev rows on several goroutines (one per CPU, each with its own
// maglev.Builder) into batch buffers, ahead of the writing, which must wait until the
// backends the rows refer to are written.
type rowWriter struct {
	d    *Datapath
	full chan *rowBatch
	free chan *rowBatch
	done chan struct{}
	wg   sync.WaitGroup
	n    int
}

// startRows starts filling rows; write writes them. stop must be called (write does).
func (d *Datapath) startRows(rows []row) *rowWriter {
	w := &rowWriter{d: d, n: len(rows), done: make(chan struct{})}
	if len(rows) == 0 {
		return w
	}
	m := int(d.opts.MaglevTableSize)
	chunk := max(1, min(len(rows), rowBatchBytes/(4*m)))
	chunks := (len(rows) + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	// Buffers let the fillers get up to about 32 MiB ahead of the writes.
	nbuf := min(chunks, workers+max(1, (32<<20)/(4*m*chunk)))
	w.full, w.free = make(chan *rowBatch, nbuf), make(chan *rowBatch, nbuf)
	for range nbuf {
		// The batch API wants one value per key: a slice of [M]uint32, built by
		// reflection since M is known at run time, filled through a flat []uint32 view.
		v := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(m, reflect.TypeFor[uint32]())), chunk, chunk)
		w.free <- &rowBatch{keys: make([]uint32, 0, chunk), vals: v, buf: unsafe.Slice((*uint32)(v.UnsafePointer()), chunk*m)}
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
				rb.keys, rb.err = rb.keys[:0], nil
				for j, r := range rows[start:min(start+chunk, len(rows))] {
					t := rb.buf[j*m : (j+1)*m]
					if err := g.Fill(t, r.cand); err != nil {
						rb.err = fmt.Errorf("service ID %d: %w", r.id, err)
						break
					}
					for x := range t {
						t[x] = r.ids[t[x]]
					}
					rb.keys = append(rb.keys, r.id)
				}
				w.d.rowsFilled.Add(int64(len(rb.keys)))
				w.full <- rb // full has room for every buffer
			}
		}()
	}
	go func() { w.wg.Wait(); close(w.full) }()
	return w
}

// write writes the rows as they are filled, a few MiB per batch syscall, and returns the
// number written and the time spent since write was called.
func (w *rowWriter) write(syscalls *int) (int, time.Duration, error) {
	t0 := time.Now()
	defer close(w.done)
	if w.n == 0 {
		return 0, 0, nil
	}
	written := 0
	for rb := range w.full {
		if rb.err != nil {
			return written, time.Since(t0), rb.err
		}
		if err := batchUpdate(w.d.objs.CikLbMaglev, "Maglev", rb.keys, rb.vals.Slice(0, len(rb.keys)).Interface(), syscalls); err != nil {
			return written, time.Since(t0), err
		}
		written += len(rb.keys)
		w.free <- rb
	}
	return written, time.Since(t0), nil
}

// stop ends the fillers without writing (write stops them too).
func (w *rowWriter) stop() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
}
