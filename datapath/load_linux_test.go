package datapath

import (
	"testing"

	"github.com/ciliumkit/ciliumkit/datapath/maglev"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

// load loads the datapath with small capacities for tests, closing it on cleanup.
func load(t testing.TB, o *Options) *Datapath {
	t.Helper()
	testenv.RequirePrivileged(t)
	if o == nil {
		o = &Options{MaglevTableSize: 251, MaxServices: 1024, MaxBackends: 4096}
	}
	d, err := Load(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestLoadEveryProgram(t *testing.T) {
	for _, m := range []uint32{3, 251, 1021, maglev.DefaultSize, 65521, maglev.MaxSize} {
		d := load(t, &Options{MaglevTableSize: m, MaxServices: 16, MaxBackends: 64})
		for name, p := range map[string]interface{ FD() int }{
			"xdp": d.XDPProgram(), "tc ingress": d.TCIngressProgram(), "tc egress": d.TCEgressProgram(),
		} {
			if p.FD() <= 0 {
				t.Errorf("M=%d: %s program not loaded", m, name)
			}
		}
		// A row is ceil(M/1008) elements of at most 1008 slots, together at least M.
		n := (m + 1007) / 1008
		per := d.objs.CikLbMaglev.ValueSize() / 4
		if d.rowN != n || d.rowPer != per || per > 1008 || per*n < m || per*(n-1) >= m {
			t.Errorf("M=%d: Maglev rows of %d elements of %d slots (map value %d bytes), want %d elements of at least %d",
				m, d.rowN, d.rowPer, 4*per, n, (m+n-1)/n)
		}
	}
}
