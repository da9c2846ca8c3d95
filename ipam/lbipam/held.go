package lbipam

import "net/netip"

// heldPageBits is the number of low address bits indexed inside one page of a heldIndex.
const heldPageBits = 8

// heldIndex maps each held address to its holding. It pages addresses by their high bits
// (256 addresses a page) and remembers the last page it touched, so that a lookup hashes
// nothing while it stays in one page and a bulk assignment, which fills pages in address
// order, inserts into the page map once per 256 addresses. The zero value is empty and
// ready to use.
type heldIndex struct {
	pages map[pageKey]*heldPage
	n     int
	// lastKey and last cache the page touched last; last is nil when nothing is cached.
	lastKey pageKey
	last    *heldPage
}

// pageKey names a page: the address's family and its bits above heldPageBits.
type pageKey struct {
	hi, lo uint64
	v6     bool
}

type heldPage struct {
	h [1 << heldPageBits]*holding
	n int
}

func pageOf(ip netip.Addr) (pageKey, int) {
	x := numOf(ip)
	k := pageKey{hi: x.hi >> heldPageBits, lo: x.lo>>heldPageBits | x.hi<<(64-heldPageBits), v6: ip.Is6()}
	return k, int(x.lo & (1<<heldPageBits - 1))
}

func (x *heldIndex) page(k pageKey, create bool) *heldPage {
	if x.last != nil && x.lastKey == k {
		return x.last
	}
	p := x.pages[k]
	if p == nil {
		if !create {
			return nil
		}
		if x.pages == nil {
			x.pages = map[pageKey]*heldPage{}
		}
		p = &heldPage{}
		x.pages[k] = p
	}
	x.lastKey, x.last = k, p
	return p
}

// get returns the holding of ip, or nil.
func (x *heldIndex) get(ip netip.Addr) *holding {
	k, i := pageOf(ip)
	if p := x.page(k, false); p != nil {
		return p.h[i]
	}
	return nil
}

// set records h as the holding of ip, which must not be held.
func (x *heldIndex) set(ip netip.Addr, h *holding) {
	k, i := pageOf(ip)
	p := x.page(k, true)
	p.h[i] = h
	p.n++
	x.n++
}

// remove forgets the holding of ip, which must be held.
func (x *heldIndex) remove(ip netip.Addr) {
	k, i := pageOf(ip)
	p := x.page(k, false)
	if p == nil || p.h[i] == nil {
		return
	}
	p.h[i] = nil
	p.n--
	x.n--
	if p.n == 0 {
		delete(x.pages, k)
		if x.last == p {
			x.last = nil
		}
	}
}

// len returns the number of held addresses.
func (x *heldIndex) len() int { return x.n }

// each calls fn for every holding, in no particular order.
func (x *heldIndex) each(fn func(*holding)) {
	for _, p := range x.pages {
		for _, h := range p.h {
			if h != nil {
				fn(h)
			}
		}
	}
}
