package datapath

import (
	"errors"
	"testing"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
)

// Load checks its options before it touches the kernel, on every OS.
func TestLoadRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{MaglevTableSize: 1000}, {MaxServices: 1<<24 + 1}, {MaxEgressConnections: 1}, {MaxEgressConnections: 1<<24 + 1}} {
		if _, err := Load(&o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("Load(%+v) = %v, want ErrInvalidOptions", o, err)
		}
	}
	// 2^24 services of 17 Maglev elements each (M = 16381) is more than 2^26 entries; at
	// M = 1021 (2 elements) 2^24 services fit.
	if _, err := (&Options{MaxServices: 1 << 24}).withDefaults(); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("2^24 services of M = 16381: %v, want ErrInvalidOptions", err)
	}
	if _, err := (&Options{MaxServices: 1 << 24, MaglevTableSize: 1021}).withDefaults(); err != nil {
		t.Errorf("2^24 services of M = 1021: %v", err)
	}
	if _, err := Load(&Options{MaglevTableSize: 4}); !errors.Is(err, maglev.ErrInvalidSize) {
		t.Errorf("Load with M = 4: %v, want maglev.ErrInvalidSize too", err)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o, err := (*Options)(nil).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{MaglevTableSize: maglev.DefaultSize, MaxServices: DefaultMaxServices, MaxBackends: DefaultMaxBackends,
		MaxEgress: DefaultMaxEgress, MaxL2Responders: DefaultMaxL2Responders, MaxEgressConnections: DefaultMaxEgressConnections}
	if o != want {
		t.Errorf("defaults %+v, want %+v", o, want)
	}
	// 65,536 services of M = 16381 would preallocate 4 GiB: the Maglev map is a hash.
	if maglevFitsArray(&o) {
		t.Errorf("default options fit the Maglev array limit")
	}
	if o.MaglevTableSize = 251; !maglevFitsArray(&o) {
		t.Errorf("M = 251 does not fit the Maglev array limit")
	}
}
