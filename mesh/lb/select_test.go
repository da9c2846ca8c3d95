package lb

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func be(addr string, cluster uint32, st BackendState) Backend {
	return Backend{Addr: netip.MustParseAddrPort(addr), Protocol: TCP, State: st, ClusterID: cluster}
}

// sides summarizes a selection as "L" (local used), "R" (remote used), "LR" or "".
func sides(s Selection) string {
	out := ""
	if s.UsesLocal {
		out += "L"
	}
	if s.UsesRemote {
		out += "R"
	}
	return out
}

func TestSelectBackendsAllAffinitiesAndStates(t *testing.T) {
	states := []BackendState{BackendActive, BackendTerminating, BackendQuarantined, BackendMaintenance}
	none, local, remote := &Global{}, &Global{Affinity: AffinityLocal}, &Global{Affinity: AffinityRemote}
	for _, ls := range states {
		for _, rs := range states {
			l := []Backend{be("10.0.0.1:80", 1, ls)}
			r := []Backend{be("10.1.0.1:80", 2, rs)}
			// The expected sides, stated from the rules rather than computed by them.
			wantLocalAff := "L"
			if ls != BackendActive && (rs == BackendActive || rs == BackendTerminating) {
				wantLocalAff = "LR"
			}
			wantRemoteAff := "R"
			if rs != BackendActive && (ls == BackendActive || ls == BackendTerminating) {
				wantRemoteAff = "LR"
			}
			cases := []struct {
				name string
				g    *Global
				want string
			}{
				{"not global", nil, "L"},
				{"none", none, "LR"},
				{"local", local, wantLocalAff},
				{"remote", remote, wantRemoteAff},
			}
			for _, c := range cases {
				t.Run(fmt.Sprintf("%s/local=%s/remote=%s", c.name, ls, rs), func(t *testing.T) {
					s := Select(c.g, l, r)
					if got := sides(s); got != c.want {
						t.Fatalf("sides = %q, want %q", got, c.want)
					}
					n := 0
					for _, b := range s.Backends {
						if b.Remote && !s.UsesRemote || !b.Remote && !s.UsesLocal {
							t.Errorf("backend %v from an unused side", b)
						}
						n++
					}
					if n != len(c.want) {
						t.Errorf("%d backends selected, want %d", n, len(c.want))
					}
				})
			}
		}
	}
}

func TestSelectBackendsTable(t *testing.T) {
	l1 := be("10.0.0.1:80", 1, BackendActive)
	l2t := be("10.0.0.2:80", 1, BackendTerminating)
	r1 := be("10.1.0.1:80", 2, BackendActive)
	r2q := be("10.1.0.2:80", 3, BackendQuarantined)
	tests := []struct {
		name          string
		g             *Global
		local, remote []Backend
		want          []string
	}{
		{"not global ignores remote", nil, []Backend{l1}, []Backend{r1}, []string{"1 => 10.0.0.1:80 (active)"}},
		{"not global, no local: nothing", nil, nil, []Backend{r1}, nil},
		{"none uses both", &Global{}, []Backend{l1}, []Backend{r1, r2q},
			[]string{"1 => 10.0.0.1:80 (active)", "2 => 10.1.0.1:80 (active)", "3 => 10.1.0.2:80 (quarantined)"}},
		{"local prefers local", &Global{Affinity: AffinityLocal}, []Backend{l1, l2t}, []Backend{r1},
			[]string{"1 => 10.0.0.1:80 (active) (preferred)", "1 => 10.0.0.2:80 (terminating) (preferred)"}},
		{"local falls back when local only terminating", &Global{Affinity: AffinityLocal}, []Backend{l2t}, []Backend{r1},
			[]string{"1 => 10.0.0.2:80 (terminating) (preferred)", "2 => 10.1.0.1:80 (active)"}},
		{"local, no local at all", &Global{Affinity: AffinityLocal}, nil, []Backend{r1}, []string{"2 => 10.1.0.1:80 (active)"}},
		{"local, remote only quarantined: no fallback", &Global{Affinity: AffinityLocal}, []Backend{l2t}, []Backend{r2q},
			[]string{"1 => 10.0.0.2:80 (terminating) (preferred)"}},
		{"remote prefers remote", &Global{Affinity: AffinityRemote}, []Backend{l1}, []Backend{r1},
			[]string{"2 => 10.1.0.1:80 (active) (preferred)"}},
		{"remote falls back to local", &Global{Affinity: AffinityRemote}, []Backend{l1}, []Backend{r2q},
			[]string{"1 => 10.0.0.1:80 (active)", "3 => 10.1.0.2:80 (quarantined) (preferred)"}},
		{"remote, nothing anywhere", &Global{Affinity: AffinityRemote}, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Select(tt.g, tt.local, tt.remote).BackendLines()
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestActive(t *testing.T) {
	s := Select(&Global{}, []Backend{be("10.0.0.1:80", 1, BackendActive), be("10.0.0.2:80", 1, BackendMaintenance)},
		[]Backend{be("10.1.0.1:80", 2, BackendTerminating), be("10.1.0.2:80", 2, BackendActive)})
	got := s.Active()
	if len(got) != 2 || got[0].Addr.String() != "10.0.0.1:80" || got[1].Addr.String() != "10.1.0.2:80" {
		t.Fatalf("Active() = %v", got)
	}
}

func TestFormatServiceListMatchesSeed(t *testing.T) {
	var b strings.Builder
	err := FormatServiceList(&b, []ServiceRow{
		{ID: 13, Frontend: Frontend{Addr: netip.MustParseAddrPort("10.43.130.72:2379"), Protocol: TCP}, Type: "ClusterIP",
			Selection: Select(nil, []Backend{be("10.0.0.207:2379", 1, BackendActive)}, nil)},
		{ID: 17, Frontend: Frontend{Addr: netip.MustParseAddrPort("10.43.112.141:80"), Protocol: TCP}, Type: "ClusterIP",
			Selection: Select(&Global{Affinity: AffinityNone}, []Backend{be("10.0.0.165:8181", 1, BackendActive)},
				[]Backend{be("10.0.0.239:8181", 2, BackendActive)})},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := []string{
		"ID   Frontend            Service Type   Backend",
		"13   10.43.130.72:2379   ClusterIP      1 => 10.0.0.207:2379 (active)",
		"17   10.43.112.141:80    ClusterIP      1 => 10.0.0.165:8181 (active)",
		"                                        2 => 10.0.0.239:8181 (active)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), strings.Join(want, "\n"))
	}
}
