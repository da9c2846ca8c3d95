package datapath

import (
	"fmt"
	"reflect"
	"unsafe"
)

// rowBatch is a buffer of Maglev rows for one batch syscall.
type rowBatch struct {
	keys []uint32
	vals reflect.Value // []([M]uint32) over buf
	buf  []uint32
	err  error
}

// writeRows fills and writes Maglev rows, a few MiB per batch syscall. One goroutine
// fills the next batch while this one writes the previous.
func (d *Datapath) writeRows(rows []row, syscalls *int) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	m := int(d.opts.MaglevTableSize)
	chunk := max(1, min(len(rows), (4<<20)/(4*m)))
	free, full := make(chan *rowBatch, 2), make(chan *rowBatch, 2)
	for range 2 {
		// The batch API wants one value per key: a slice of [M]uint32, built by
		// reflection since M is known at run time, filled through a flat []uint32 view.
		v := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(m, reflect.TypeFor[uint32]())), chunk, chunk)
		free <- &rowBatch{keys: make([]uint32, 0, chunk), vals: v, buf: unsafe.Slice((*uint32)(v.UnsafePointer()), chunk*m)}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(full)
		for start := 0; start < len(rows); start += chunk {
			var rb *rowBatch
			select {
			case rb = <-free:
			case <-done:
				return
			}
			rb.keys = rb.keys[:0]
			for j, r := range rows[start:min(start+chunk, len(rows))] {
				t := rb.buf[j*m : (j+1)*m]
				if rb.err = d.maglev.Fill(t, r.cand); rb.err != nil {
					rb.err = fmt.Errorf("service ID %d: %w", r.id, rb.err)
					break
				}
				for x := range t {
					t[x] = r.ids[t[x]]
				}
				rb.keys = append(rb.keys, r.id)
			}
			full <- rb
			if rb.err != nil {
				return
			}
		}
	}()
	written := 0
	for rb := range full {
		if rb.err != nil {
			return written, rb.err
		}
		if err := batchUpdate(d.objs.CikLbMaglev, "Maglev", rb.keys, rb.vals.Slice(0, len(rb.keys)).Interface(), syscalls); err != nil {
			return written, err
		}
		written += len(rb.keys)
		free <- rb
	}
	return written, nil
}
