package datapath

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

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

func keysOf(m map[uint32]struct{}) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func isIn(set map[uint64]struct{}, k uint64) bool {
	_, ok := set[k]
	return ok
}
