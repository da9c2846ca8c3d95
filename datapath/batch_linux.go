package datapath

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/cilium/ebpf"
)

// batchUpdate writes keys and vals (a slice of the same length) with one syscall, or one
// per entry for maps without batch support (LPM tries).
func batchUpdate[K, V any](m *ebpf.Map, name string, keys []K, vals V, syscalls *int) error {
	if len(keys) == 0 {
		return nil
	}
	*syscalls++
	_, err := m.BatchUpdate(keys, vals, nil)
	if errors.Is(err, ebpf.ErrNotSupported) {
		*syscalls--
		rv := reflect.ValueOf(vals)
		for i := range keys {
			*syscalls++
			if err := m.Update(keys[i], rv.Index(i).Interface(), ebpf.UpdateAny); err != nil {
				return fmt.Errorf("%w: update of %s entry %v: %w", ErrMap, name, keys[i], err)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: batch update of %d %s entries: %w", ErrMap, len(keys), name, err)
	}
	return nil
}

// batchDelete deletes keys with one syscall, or one per key without batch support.
func batchDelete[K any](m *ebpf.Map, name string, keys []K, syscalls *int) error {
	if len(keys) == 0 {
		return nil
	}
	*syscalls++
	_, err := m.BatchDelete(keys, nil)
	if errors.Is(err, ebpf.ErrNotSupported) {
		*syscalls--
		for _, k := range keys {
			*syscalls++
			if err := m.Delete(k); err != nil {
				return fmt.Errorf("%w: delete of %s entry %v: %w", ErrMap, name, k, err)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: batch delete of %d %s entries: %w", ErrMap, len(keys), name, err)
	}
	return nil
}

// batchRead calls f for every entry of m, reading 4096 entries per syscall.
func batchRead[K, V any](m *ebpf.Map, f func(*K, *V)) error {
	const chunk = 4096
	keys, vals := make([]K, chunk), make([]V, chunk)
	var c ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&c, keys, vals, nil)
		for i := range n {
			f(&keys[i], &vals[i])
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readAll reads every entry of m one by one (LPM tries have no batch lookup).
func readAll[K comparable, V any](m *ebpf.Map) (map[K]V, error) {
	out := map[K]V{}
	var k K
	var v V
	it := m.Iterate()
	for it.Next(&k, &v) {
		out[k] = v
	}
	return out, it.Err()
}
