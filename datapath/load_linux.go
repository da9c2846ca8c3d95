package datapath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// kernel is what Load loads on Linux: the programs and maps of lb.c (objs) and of
// egressgw.c (egw, which uses objs' egress map).
type kernel struct {
	objs lbObjects
	egw  egressgwObjects
}

// Load loads the BPF programs and creates (or, with Options.PinDir, reuses) their maps,
// then reads the maps back so that the next sync writes only differences. A nil opts
// selects the defaults; options out of range are refused with an error wrapping
// ErrInvalidOptions. Pinned maps whose type, sizes or capacity differ from opts are
// refused with an error, except a Maglev map of whole rows pinned by an earlier version,
// which is replaced (see prepareRowPin; the next Sync writes every row). Load needs Linux (and CAP_BPF, CAP_NET_ADMIN for Attach); on
// other operating systems it validates opts, then returns an error wrapping
// errors.ErrUnsupported.
func Load(opts *Options) (*Datapath, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	spec, err := loadLb()
	if err != nil {
		return nil, fmt.Errorf("datapath: load embedded BPF object: %w", err)
	}
	var ms lbMapSpecs
	if err := spec.Assign(&ms); err != nil {
		return nil, fmt.Errorf("datapath: assign map specs: %w", err)
	}
	ms.CikLbSvc.MaxEntries = o.MaxServices
	ms.CikLbSvc6.MaxEntries = o.MaxServices
	per, n := rowShape(o.MaglevTableSize)
	ms.CikLbMaglev.MaxEntries = o.MaxServices * n
	ms.CikLbMaglev.ValueSize = 4 * per
	ms.CikLbMaglev.Value = &btf.Array{Index: ms.CikLbMaglev.Value, Type: ms.CikLbMaglev.Value, Nelems: per}
	maglevArray := maglevFitsArray(&o)
	if maglevArray {
		ms.CikLbMaglev.Type = ebpf.Array
		ms.CikLbMaglev.Flags = 0
		ms.CikLbMaglev.MaxEntries = (o.MaxServices + 1) * n // service ID 0 is never used
	}
	ms.CikLbBackend.MaxEntries = o.MaxBackends + 1 // ID 0 is never used
	ms.CikLbRevnat.MaxEntries = o.MaxBackends
	ms.CikLbBackend6.MaxEntries = o.MaxBackends + 1
	ms.CikLbRevnat6.MaxEntries = o.MaxBackends
	ms.CikEgressV4.MaxEntries = o.MaxEgress
	ms.CikL2respV4.MaxEntries = o.MaxL2Responders
	ms.CikL2respV6.MaxEntries = o.MaxL2Responders
	for _, v := range []struct {
		name string
		val  uint32
	}{{"maglev_m", o.MaglevTableSize}, {"maglev_chunk", per}, {"maglev_chunks", n}} {
		if err := spec.Variables[v.name].Set(v.val); err != nil {
			return nil, fmt.Errorf("datapath: set %s = %d: %w", v.name, v.val, err)
		}
	}
	copts := &ebpf.CollectionOptions{Maps: ebpf.MapOptions{PinPath: o.PinDir}}
	if o.PinDir == "" {
		for _, m := range spec.Maps {
			m.Pinning = ebpf.PinNone
		}
	}
	d := &Datapath{opts: o, maglevArray: maglevArray, rowPer: per, rowN: n}
	freshRows, err := prepareRowPin(o.PinDir, o.MaglevTableSize, n)
	if err != nil {
		return nil, err
	}
	if err := spec.LoadAndAssign(&d.objs, copts); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("datapath: BPF verifier rejected a program: %+v", ve)
		}
		return nil, fmt.Errorf("datapath: load BPF objects (pin dir %q): %w", o.PinDir, err)
	}
	if err := d.loadEgressGateway(&o); err != nil {
		d.objs.Close()
		return nil, err
	}
	d.maglev, _ = maglev.New(o.MaglevTableSize) // size checked by withDefaults
	if d.st, err = d.readState(); err != nil {
		d.Close()
		return nil, err
	}
	if freshRows {
		// The services read back have no rows in the new Maglev map: forget their
		// fingerprints so that the next Sync writes every row (and the services).
		for _, rec := range d.st.svcs {
			rec.val.Fingerprint = 0
		}
	}
	return d, nil
}

// prepareRowPin looks at the Maglev map pinned in pinDir before Load creates or reuses
// it, and reports whether Load starts with an empty Maglev map: none is pinned, or the
// pinned one holds whole rows of M slots (the layout before rows were cut into n > 1
// elements; it is unpinned, so that Load creates the new one, and stays in use by the
// programs attached until they are replaced). Any other pinned map is left for Load to
// reuse or refuse.
func prepareRowPin(pinDir string, m, n uint32) (bool, error) {
	if pinDir == "" {
		return false, nil // nothing was read back
	}
	path := filepath.Join(pinDir, "cik_lb_maglev")
	old, err := ebpf.LoadPinnedMap(path, &ebpf.LoadPinOptions{ReadOnly: true})
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("datapath: open pinned Maglev map %s: %w", path, err)
	}
	whole := n > 1 && old.KeySize() == 4 && old.ValueSize() == 4*m
	old.Close()
	if !whole {
		return false, nil
	}
	if err := os.Remove(path); err != nil {
		return false, fmt.Errorf("datapath: unpin Maglev map of whole rows %s: %w", path, err)
	}
	return true, nil
}

// loadEgressGateway loads egressgw.c's programs and maps, handing them lb.c's egress map.
func (d *Datapath) loadEgressGateway(o *Options) error {
	spec, err := loadEgressgw()
	if err != nil {
		return fmt.Errorf("datapath: load embedded egress gateway BPF object: %w", err)
	}
	var ms egressgwMapSpecs
	if err := spec.Assign(&ms); err != nil {
		return fmt.Errorf("datapath: assign egress gateway map specs: %w", err)
	}
	ms.CikEgressV4.MaxEntries = o.MaxEgress
	ms.CikEgwNat.MaxEntries = o.MaxEgressConnections
	copts := &ebpf.CollectionOptions{
		Maps:            ebpf.MapOptions{PinPath: o.PinDir},
		MapReplacements: map[string]*ebpf.Map{"cik_egress_v4": d.objs.CikEgressV4},
	}
	if o.PinDir == "" {
		for _, m := range spec.Maps {
			m.Pinning = ebpf.PinNone
		}
	}
	if err := spec.LoadAndAssign(&d.egw, copts); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return fmt.Errorf("datapath: BPF verifier rejected an egress gateway program: %+v", ve)
		}
		return fmt.Errorf("datapath: load egress gateway BPF objects (pin dir %q): %w", o.PinDir, err)
	}
	return nil
}

// Close closes the programs and maps. Pinned maps keep their contents.
func (d *Datapath) Close() error { return errors.Join(d.egw.Close(), d.objs.Close()) }

// XDPProgram returns the XDP service load balancer (DNAT to a backend, XDP_PASS; frontend
// without backends: XDP_DROP), which also answers ARP for L2 responder addresses
// (XDP_TX); anything else passes untouched (XDP_PASS).
func (d *Datapath) XDPProgram() *ebpf.Program { return d.objs.CikXdpLb }

// TCIngressProgram returns the TC ingress service load balancer (same as XDPProgram with
// TC_ACT_OK and TC_ACT_SHOT).
func (d *Datapath) TCIngressProgram() *ebpf.Program { return d.objs.CikTcLb }

// TCEgressProgram returns the TC egress reverse NAT: replies from a backend get their
// frontend as source; anything else passes untouched (TC_ACT_OK).
func (d *Datapath) TCEgressProgram() *ebpf.Program { return d.objs.CikTcRevnat }
