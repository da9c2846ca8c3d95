package datapath

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
)

// IPv6 addresses in the mirror. The mirror's keys pack a 32-bit address into a 64-bit
// integer (svcKey.u64, revnatKey.u64), which keeps a resync of IPv4 services to a few
// integer map lookups per service. An IPv6 address takes the place of the IPv4 address as
// a 32-bit handle whose first byte in network order is 0 (values 0.0.0.1 to
// 0.255.255.255): the programs refuse every IPv4 frontend and backend in 0.0.0.0/8, so a
// handle never equals an IPv4 address. The addrTable maps handles to IPv6 addresses and
// back; writes to the IPv6 maps convert handles to the 16-byte addresses they stand for.

// maxHandles is the number of distinct IPv6 addresses (frontends and backends) the mirror
// can hold at once.
const maxHandles = 1<<24 - 1

// addrTable interns IPv6 addresses as handles. It is safe for concurrent use.
type addrTable struct {
	mu    sync.RWMutex
	ids   map[[16]byte]uint32 // address -> handle number
	addrs [][16]byte          // by handle number; index 0 is never used
	free  []uint32            // handle numbers to reuse
	live  int                 // handles in use after the last collect
}

// is6 reports whether v, an address field of a mirror key or backend, is an IPv6 handle.
func is6(v uint32) bool {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	return b[0] == 0
}

// handleValue is the address field value of handle number n (1 <= n <= maxHandles).
func handleValue(n uint32) uint32 {
	return binary.NativeEndian.Uint32([]byte{0, byte(n >> 16), byte(n >> 8), byte(n)})
}

// handleNumber is the inverse of handleValue.
func handleNumber(v uint32) uint32 {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	return uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// intern returns the handle value of a, adding it to the table if needed.
func (t *addrTable) intern(a [16]byte) (uint32, error) {
	if v, ok := t.lookup(a); ok {
		return v, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n, ok := t.ids[a]; ok {
		return handleValue(n), nil
	}
	var n uint32
	switch {
	case len(t.free) > 0:
		n = t.free[len(t.free)-1]
		t.free = t.free[:len(t.free)-1]
		t.addrs[n] = a
	case len(t.addrs) <= maxHandles:
		if len(t.addrs) == 0 {
			t.addrs = make([][16]byte, 1, 64)
			t.ids = make(map[[16]byte]uint32)
		}
		n = uint32(len(t.addrs))
		t.addrs = append(t.addrs, a)
	default:
		return 0, fmt.Errorf("%w: more than %d distinct IPv6 addresses", ErrCapacity, maxHandles)
	}
	t.ids[a] = n
	return handleValue(n), nil
}

// lookup returns the handle value of a if a is in the table.
func (t *addrTable) lookup(a [16]byte) (uint32, bool) {
	t.mu.RLock()
	n, ok := t.ids[a]
	t.mu.RUnlock()
	return handleValue(n), ok
}

// addr returns the address handle value v stands for (the zero address for an unknown
// handle).
func (t *addrTable) addr(v uint32) [16]byte {
	n := handleNumber(v)
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(n) >= len(t.addrs) {
		return [16]byte{}
	}
	return t.addrs[n]
}

// used reports whether the table has ever held an address: until then every key is IPv4
// and the IPv6 maps need not be consulted.
func (t *addrTable) used() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.addrs) > 1
}

// collect frees every handle for which live returns false, when the table has grown to
// more than twice the handles in use at the last collect (plus 1024): so a long-running
// agent whose IPv6 backends come and go keeps the table at a bounded multiple of what
// the maps hold, at amortized constant cost per intern. The caller must hold no key
// outside the mirror.
func (t *addrTable) collect(live func(mark func(v uint32))) {
	t.mu.Lock()
	defer t.mu.Unlock()
	inUse := len(t.addrs) - 1 - len(t.free)
	if inUse <= 2*t.live+1024 {
		return
	}
	keep := make([]bool, len(t.addrs))
	live(func(v uint32) {
		if n := handleNumber(v); is6(v) && int(n) < len(keep) {
			keep[n] = true
		}
	})
	t.free = t.free[:0]
	t.live = 0
	for n := len(t.addrs) - 1; n >= 1; n-- {
		if keep[n] {
			t.live++
			continue
		}
		if a := t.addrs[n]; t.ids[a] == uint32(n) {
			delete(t.ids, a)
		}
		t.addrs[n] = [16]byte{}
		t.free = append(t.free, uint32(n))
	}
}

// words6 returns a as the four network-order words of the maps' IPv6 address fields.
func words6(a [16]byte) [4]uint32 {
	var w [4]uint32
	for i := range w {
		w[i] = binary.NativeEndian.Uint32(a[4*i:])
	}
	return w
}

// bytes6 is the inverse of words6.
func bytes6(w [4]uint32) [16]byte {
	var a [16]byte
	for i := range w {
		binary.NativeEndian.PutUint32(a[4*i:], w[i])
	}
	return a
}

// addrField returns the mirror's address field of a (IPv4 in network order, or the
// handle of an IPv6 address, interned when intern is set). ok is false for an IPv6
// address not in the table when intern is not set, and for IPv4 addresses in 0.0.0.0/8,
// zoned and invalid addresses (which no key holds).
func (t *addrTable) addrField(a netip.Addr, intern bool) (v uint32, ok bool, err error) {
	if a.Is4() {
		// 0.0.0.0/8 is refused by validation; here it must not pass for a handle.
		return addrBE(a), a.As4()[0] != 0, nil
	}
	if a.Zone() != "" || !a.IsValid() {
		return 0, false, nil // never programmed (refused by validation)
	}
	if intern {
		v, err = t.intern(a.As16())
		return v, err == nil, err
	}
	v, ok = t.lookup(a.As16())
	return v, ok, nil
}

// netAddr returns the address a mirror address field stands for.
func (t *addrTable) netAddr(v uint32) netip.Addr {
	if is6(v) {
		return netip.AddrFrom16(t.addr(v))
	}
	return addrFromBE(v)
}

// collectAddrs frees the handles no mirror key or entry holds (see addrTable.collect).
func (d *Datapath) collectAddrs() {
	if !d.addrs.used() {
		return
	}
	st := d.st
	d.addrs.collect(func(mark func(uint32)) {
		for k := range st.svcs {
			mark(svcKeyFrom64(k).Vip)
		}
		for k := range st.bes {
			mark(uint32(k >> 32))
		}
		for i := range st.beVals {
			mark(st.beVals[i].Addr)
		}
		for _, k := range st.rnOrphans {
			mark(k.Addr)
		}
		for _, o := range d.order {
			mark(svcKeyFrom64(o.key).Vip)
		}
	})
}
