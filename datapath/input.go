package datapath

import (
	"slices"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// inBackend is what the maps and the Maglev row of a service take from one of its
// backends, compactly: address, port, protocol, state, cluster ID and Preferred (Remote
// and Zone are not stored). A service whose backends equal, in order, those its last
// successful write was made from needs no validation, conversion or write again.
type inBackend struct {
	addr    [16]byte // As16
	cluster uint32
	port    uint16
	proto   lb.Protocol
	state   lb.BackendState
	v6      bool // not IPv4 (an IPv4-mapped IPv6 address differs from its IPv4 form)
	pref    bool
}

// inputOf returns the compact form of bs, which must be validated (no zones).
func inputOf(bs []lb.SelectedBackend) []inBackend {
	out := make([]inBackend, len(bs))
	for i := range bs {
		b := &bs[i]
		a := b.Addr.Addr()
		out[i] = inBackend{addr: a.As16(), v6: !a.Is4(), port: b.Addr.Port(), proto: b.Protocol,
			state: b.State, cluster: b.ClusterID, pref: b.Preferred}
	}
	return out
}

// sameInput reports whether bs equal in, in order. A backend address with a zone never
// equals one in in (only validated inputs are remembered).
func sameInput(in []inBackend, bs []lb.SelectedBackend) bool {
	if len(in) != len(bs) {
		return false
	}
	for i := range bs {
		b, x := &bs[i], &in[i]
		a := b.Addr.Addr()
		if x.v6 == a.Is4() || x.addr != a.As16() || x.port != b.Addr.Port() || x.proto != b.Protocol ||
			x.state != b.State || x.cluster != b.ClusterID || x.pref != b.Preferred || a.Zone() != "" {
			return false
		}
	}
	return true
}

// orderEnt is one frontend of the last successful Sync and its record.
type orderEnt struct {
	key uint64 // svcKey.u64
	rec *svcRec
}

// unchanged returns the programmed record of s, the i-th service of a Sync, when s is
// identical to the input of the last successful write of its frontend (so the maps hold
// what s implies), else nil. A record's input is set only while it is its frontend's
// record in the mirror. It only reads: prepareAll calls it on several goroutines.
func (d *Datapath) unchanged(i int, s *Service) *svcRec {
	fe := s.Frontend
	if fe.Addr.Addr().Zone() != "" {
		return nil
	}
	key, ok, _ := d.addrs.svcKey(fe, false)
	if !ok {
		return nil
	}
	k := key.u64()
	var rec *svcRec
	if i < len(d.order) && d.order[i].key == k && d.order[i].rec.inSet {
		rec = d.order[i].rec // same place as in the last Sync (the common case)
	} else {
		rec = d.st.svcs[k]
	}
	if rec == nil || !rec.inSet || !sameInput(rec.in, s.Backends) {
		return nil
	}
	return rec
}

// remember records, after a successful write of puts by plan pl, the input each was
// prepared from in its record; after a Sync (all), the order of its frontends too.
func (d *Datapath) remember(puts []prepared, pl *plan, all bool) {
	if all {
		d.order = slices.Grow(d.order[:0], len(puts))[:len(puts)]
	}
	for i := range puts {
		p := &puts[i]
		rec := p.skip
		if rec == nil {
			if rec = pl.svcRecs[i]; rec == nil {
				rec = pl.oldRecs[i]
			}
			rec.in, rec.inSet = p.in, true
		}
		if all {
			d.order[i] = orderEnt{key: p.key.u64(), rec: rec}
		}
	}
}

// forgetInputs drops every remembered input, so that the next operation validates and
// compares everything (after a failed write whose mirror could not be rebuilt).
func (st *lbState) forgetInputs() {
	for _, rec := range st.svcs {
		rec.in, rec.inSet = nil, false
	}
}
