package datapath

import (
	"fmt"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// rusage returns the process's user and system CPU time.
func rusage() (user, sys time.Duration) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// rowCost sums the wall and CPU time of a step over the iterations of a benchmark.
type rowCost struct {
	wall, user, sys time.Duration
}

// time runs f and adds its wall, user and system time.
func (c *rowCost) time(f func()) {
	u0, s0 := rusage()
	t0 := time.Now()
	f()
	c.wall += time.Since(t0)
	u1, s1 := rusage()
	c.user += u1 - u0
	c.sys += s1 - s0
}

// report reports the step's mean wall, user and system milliseconds per iteration.
func (c *rowCost) report(b *testing.B, n int, step string) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(ms(c.wall), step+"-ms")
	b.ReportMetric(ms(c.user), step+"-user-ms")
	b.ReportMetric(ms(c.sys), step+"-sys-ms")
}

// rawRowSizes are the sizes (M, rows) of the raw Maglev benchmarks: M=1021 and Cilium's
// default M for 100 and 10,000 services, fitM for 10,000, and a small size that the
// smoke run (-benchtime=1x) uses.
func rawRowSizes(b *testing.B) []struct{ m, rows int } {
	if smoke() {
		return []struct{ m, rows int }{{1021, 20}}
	}
	return []struct{ m, rows int }{{1021, 100}, {1021, 10000}, {maglev.DefaultSize, 100}, {maglev.DefaultSize, 10000}, {fitM, 10000}}
}

// fitM is the largest prime M whose hash map element (48-byte header, key and value
// rounded up to 8 bytes, and the 8-byte link of the kernel's BPF allocator) fits in
// 64 KiB; at M=16381 it is 64 bytes larger and takes a 128 KiB allocation.
const fitM = 16363

// BenchmarkMaglevRowsKernel writes rows Maglev rows of M uint32 slots (the same 4 MiB of
// row data over and over: the kernel's cost does not depend on the contents) into a new
// map of one of the layouts the Maglev map could have, sized for 16384 services (the
// thin agent's start benchmark), and reports per layout: create (the map's creation),
// write (the rows into the empty map, as a cold start does) and rewrite (the same keys
// again, as a change of every service does), each as wall, user and system milliseconds
// of the process, and MB-per-row-set, the drop of the machine's free memory from before
// the creation to after the write (in MB, 1e6 bytes; a rough figure: other processes and
// the deferred freeing of earlier maps move it too). Before each new map it waits
// rowsPause (not in a smoke run).
//
// Layouts: hash-elements is the Maglev map when the rows do not fit in
// MaglevArrayLimit: a BPF hash with BPF_F_NO_PREALLOC holding each row as rowShape's
// elements (17 of 964 slots at M=16381), written in 4 MiB batches by two goroutines;
// hash is a BPF hash with BPF_F_NO_PREALLOC of 16384 whole rows (the Maglev map before
// rows were cut into elements); hash-prealloc the same, preallocated;
// array an array of 16385 entries (~1 GiB at M=16381); array-mmap the same with
// BPF_F_MMAPABLE, its rows
// written through a shared mapping (no syscall, no copy through the kernel);
// array-of-maps an array of maps with one single-entry inner array per row (Cilium's
// layout: each row is a map create, an update of the inner map, an update of the outer
// map and a close). batch writes 4 MiB per BPF_MAP_UPDATE_BATCH (64 rows at M=16381),
// single one row per BPF_MAP_UPDATE_ELEM, batch-2-writers the batches from two
// goroutines; array-of-maps/batch-outer writes the outer map 4 MiB of rows at a time,
// one-outer-batch all rows in one BPF_MAP_UPDATE_BATCH (every map-in-map update waits
// for an RCU grace period). M=16363 (fitM) runs the hash layouts only.
func BenchmarkMaglevRowsKernel(b *testing.B) {
	testenv.RequirePrivileged(b)
	for _, sz := range rawRowSizes(b) {
		m, rows := sz.m, sz.rows
		vs := 4 * m
		chunk := max(1, rowBatchBytes/vs)
		// One batch of row data, reused for every batch.
		vals := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(m, reflect.TypeFor[uint32]())), chunk, chunk)
		flat := unsafe.Slice((*uint32)(vals.UnsafePointer()), chunk*m)
		for i := range flat {
			flat[i] = uint32(i%3 + 1)
		}
		raw := unsafe.Slice((*byte)(vals.UnsafePointer()), chunk*vs)
		keys := make([]uint32, chunk)
		hash := &ebpf.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: uint32(vs), MaxEntries: 16384, Flags: unix.BPF_F_NO_PREALLOC}
		pre := &ebpf.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: uint32(vs), MaxEntries: 16384}
		const entries = 16384 + 1 // service ID 0 is never used
		arr := &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: uint32(vs), MaxEntries: entries}
		mm := &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: uint32(vs), MaxEntries: entries, Flags: unix.BPF_F_MMAPABLE}
		inner := &ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: uint32(vs), MaxEntries: 1}
		aom := &ebpf.MapSpec{Type: ebpf.ArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: entries, InnerMap: inner}

		batchWrite := func(b *testing.B, mp *ebpf.Map) {
			for start := 0; start < rows; start += chunk {
				n := min(chunk, rows-start)
				for j := range n {
					keys[j] = uint32(start + j + 1)
				}
				if _, err := mp.BatchUpdate(keys[:n], vals.Slice(0, n).Interface(), nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		// Two goroutines, each writing every other batch from its own buffers.
		batchWrite2 := func(b *testing.B, mp *ebpf.Map) { write2(b, mp, rows, chunk, vals, 1) }
		singleWrite := func(b *testing.B, mp *ebpf.Map) {
			for i := range rows {
				j := i % chunk
				if err := mp.Update(uint32(i+1), raw[j*vs:(j+1)*vs], ebpf.UpdateAny); err != nil {
					b.Fatal(err)
				}
			}
		}
		// Array of maps: one inner map per row; the outer map written per row (per <= 0)
		// or in batches of per file descriptors.
		aomWrite := func(per int) func(*testing.B, *ebpf.Map) {
			batch := per > 0
			return func(b *testing.B, mp *ebpf.Map) {
				fds := make([]uint32, 0, per)
				okeys := make([]uint32, per)
				inners := make([]*ebpf.Map, 0, per)
				flush := func() {
					if _, err := mp.BatchUpdate(okeys[:len(fds)], fds, nil); err != nil {
						b.Fatal(err)
					}
					for _, im := range inners {
						im.Close()
					}
					fds, inners = fds[:0], inners[:0]
				}
				for i := range rows {
					im, err := ebpf.NewMap(inner)
					if err != nil {
						b.Fatal(err)
					}
					j := i % chunk
					if err := im.Update(uint32(0), raw[j*vs:(j+1)*vs], ebpf.UpdateAny); err != nil {
						b.Fatal(err)
					}
					if !batch {
						if err := mp.Update(uint32(i+1), im, ebpf.UpdateAny); err != nil {
							b.Fatal(err)
						}
						im.Close()
						continue
					}
					okeys[len(fds)] = uint32(i + 1)
					fds = append(fds, uint32(im.FD()))
					inners = append(inners, im)
					if len(fds) == per {
						flush()
					}
				}
				if len(fds) > 0 {
					flush()
				}
			}
		}
		// Shared mapping of an mmapable array: rows are written in place (the stride of
		// an array's values is the value size rounded up to 8 bytes).
		mmapWrite := func(b *testing.B, mp *ebpf.Map) {
			stride := (vs + 7) &^ 7
			mem, err := unix.Mmap(mp.FD(), 0, stride*entries, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
			if err != nil {
				b.Fatal(err)
			}
			defer unix.Munmap(mem)
			for i := range rows {
				j := i % chunk
				copy(mem[(i+1)*stride:(i+1)*stride+vs], raw[j*vs:(j+1)*vs])
			}
		}
		// The Maglev map's layout: each row as rowShape's n elements of per slots,
		// written in 4 MiB batches from two goroutines.
		per, nel := rowShape(uint32(m))
		elems := &ebpf.MapSpec{Type: ebpf.Hash, KeySize: 4, ValueSize: 4 * per, MaxEntries: 16384 * nel, Flags: unix.BPF_F_NO_PREALLOC}
		echunk := rowBatchBytes / int(4*per)
		evals := reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(int(per), reflect.TypeFor[uint32]())), echunk, echunk)
		// Row i+1's elements have keys (i+1)*nel + c.
		elemWrite2 := func(b *testing.B, mp *ebpf.Map) { write2(b, mp, rows*int(nel), echunk, evals, nel) }
		for _, tc := range []struct {
			name  string
			spec  *ebpf.MapSpec
			write func(*testing.B, *ebpf.Map)
		}{
			{"hash-elements/batch-2-writers", elems, elemWrite2},
			{"hash/batch", hash, batchWrite},
			{"hash/batch-2-writers", hash, batchWrite2},
			{"hash/single", hash, singleWrite},
			{"hash-prealloc/batch", pre, batchWrite},
			{"array/batch", arr, batchWrite},
			{"array/single", arr, singleWrite},
			{"array-mmap/in-place", mm, mmapWrite},
			{"array-of-maps/single", aom, aomWrite(0)},
			{"array-of-maps/batch-outer", aom, aomWrite(chunk)},
			{"array-of-maps/one-outer-batch", aom, aomWrite(rows)},
		} {
			b.Run(fmt.Sprintf("M=%d/rows=%d/%s", m, rows, tc.name), func(b *testing.B) {
				if m == fitM && !strings.HasPrefix(tc.name, "hash") {
					b.Skip("M=16363 compares the hash's element size only")
				}
				if tc.spec.Type == ebpf.ArrayOfMaps && rows > 1000 && tc.name == "array-of-maps/single" {
					// Every update of a map-in-map waits for an RCU grace period.
					b.Skip("one synchronize_rcu per row (9-18 ms each measured on 2 CPUs): run at rows=100")
				}
				var create, write, rewrite rowCost
				var grew float64
				n := 0
				for b.Loop() {
					if !smoke() {
						// Memory freed a moment ago is cheaper to allocate again than
						// memory left free for a while (a virtual machine may have handed
						// it back to its host): wait, so that every layout starts from
						// the latter.
						b.StopTimer()
						time.Sleep(rowsPause)
						b.StartTimer()
					}
					var mp *ebpf.Map
					a0 := memFree()
					create.time(func() {
						var err error
						if mp, err = ebpf.NewMap(tc.spec); err != nil {
							b.Fatal(err)
						}
					})
					write.time(func() { tc.write(b, mp) })
					grew += float64(a0-memFree()) / 1e6
					rewrite.time(func() { tc.write(b, mp) })
					b.StopTimer()
					mp.Close()
					b.StartTimer()
					n++
				}
				create.report(b, n, "create")
				write.report(b, n, "write")
				rewrite.report(b, n, "rewrite")
				b.ReportMetric(grew/float64(n), "MB-per-row-set")
			})
		}
	}
}

// write2 writes total entries with keys first, first+1, ... into mp from two
// goroutines, each writing every other batch of chunk entries of vals (a slice of at
// least chunk values) with its own keys.
func write2(b *testing.B, mp *ebpf.Map, total, chunk int, vals reflect.Value, first uint32) {
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			ks := make([]uint32, chunk)
			for start := w * chunk; start < total; start += 2 * chunk {
				n := min(chunk, total-start)
				for j := range n {
					ks[j] = uint32(start+j) + first
				}
				if _, err := mp.BatchUpdate(ks[:n], vals.Slice(0, n).Interface(), nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// rowsPause is how long BenchmarkMaglevRowsKernel waits before each new map.
const rowsPause = 4 * time.Second

// memFree returns the machine's free memory in bytes (0 if unreadable).
func memFree() int64 {
	var info unix.Sysinfo_t
	if unix.Sysinfo(&info) != nil {
		return 0
	}
	return int64(info.Freeram) * int64(info.Unit)
}

// BenchmarkMaglevRowsFill times filling rows Maglev rows of M slots for services of
// three backends each (as in the thin agent's start benchmark), with one maglev.Builder
// per goroutine on GOMAXPROCS goroutines, into a reused 4 MiB buffer per goroutine, in
// three ways: index-remap fills backend indexes and replaces them by backend IDs in a
// second pass; values fills the backend IDs (maglev.Builder.FillValues); scratch fills
// them into a table of its own, which stays in the CPU's cache, and copies it into the
// buffer. fill-ms is the wall time, fill-user-ms and fill-sys-ms the process CPU time
// per row set.
func BenchmarkMaglevRowsFill(b *testing.B) {
	for _, sz := range rawRowSizes(b) {
		m, rows := sz.m, sz.rows
		cands := make([][]maglev.Backend, rows)
		ids := make([][]uint32, rows)
		for i := range cands {
			ip := func(a byte) netip.Addr { return netip.AddrFrom4([4]byte{a, byte(i >> 16), byte(i >> 8), byte(i)}) }
			for k := range 3 {
				cands[i] = append(cands[i], maglev.Backend{Addr: netip.AddrPortFrom(ip(byte(11+k)), 8080), Protocol: 6})
				ids[i] = append(ids[i], uint32(3*i+k+1))
			}
		}
		for _, mode := range []string{"index-remap", "values", "scratch"} {
			b.Run(fmt.Sprintf("M=%d/rows=%d/N=3/%s", m, rows, mode), func(b *testing.B) {
				workers := runtime.GOMAXPROCS(0)
				chunk := max(1, rowBatchBytes/(4*m))
				var c rowCost
				n := 0
				for b.Loop() {
					c.time(func() {
						var next atomic.Int64
						var wg sync.WaitGroup
						for range workers {
							wg.Go(func() {
								g, err := maglev.New(uint32(m))
								if err != nil {
									b.Error(err)
									return
								}
								buf, own := make([]uint32, chunk*m), make([]uint32, m)
								for {
									i := int(next.Add(1) - 1)
									if i >= rows {
										return
									}
									t := buf[(i%chunk)*m : (i%chunk+1)*m]
									switch mode {
									case "index-remap":
										err = g.Fill(t, cands[i])
										for x := range t {
											t[x] = ids[i][t[x]]
										}
									case "values":
										err = g.FillValues(t, cands[i], ids[i])
									case "scratch":
										err = g.FillValues(own, cands[i], ids[i])
										copy(t, own)
									}
									if err != nil {
										b.Error(err)
										return
									}
								}
							})
						}
						wg.Wait()
					})
					n++
				}
				c.report(b, n, "fill")
			})
		}
	}
}

// TestMaglevRowsFromSeveralWriters syncs 5,000 services whose rows take 5 batch syscalls
// (M=1021), written by several goroutines at once, into the array and the hash layout,
// and checks every slot of every row read back against the table maglev.Builder builds
// for the service's backends.
func TestMaglevRowsFromSeveralWriters(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // at least two writers
	}
	const m = 1021
	for _, o := range []Options{
		{MaglevTableSize: m, MaxServices: 8192, MaxBackends: 32768},  // array
		{MaglevTableSize: m, MaxServices: 70000, MaxBackends: 32768}, // hash
	} {
		d := load(t, &o)
		set := services(5000)
		st, err := d.Sync(set)
		if err != nil {
			t.Fatal(err)
		}
		if st.MaglevWritten != len(set) {
			t.Fatalf("array %v: %d rows written, want %d", d.maglevArray, st.MaglevWritten, len(set))
		}
		g, err := maglev.New(m)
		if err != nil {
			t.Fatal(err)
		}
		idx := make([]uint32, m)
		for _, s := range set {
			cands := s.MaglevBackends()
			mb := make([]maglev.Backend, len(cands))
			for i, c := range cands {
				mb[i] = maglev.Backend{Addr: c.Addr, Protocol: uint8(c.Protocol)}
			}
			if err := g.Fill(idx, mb); err != nil {
				t.Fatal(err)
			}
			e, err := d.Service(s.Frontend)
			if err != nil {
				t.Fatal(err)
			}
			if len(e.Table) != m {
				t.Fatalf("array %v: %v: row of %d slots, want %d", d.maglevArray, s.Frontend, len(e.Table), m)
			}
			for i, j := range idx {
				if e.Table[i] != cands[j].Addr {
					t.Fatalf("array %v: %v: slot %d is %v, want %v", d.maglevArray, s.Frontend, i, e.Table[i], cands[j].Addr)
				}
			}
		}
	}
}
