package datapath

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// TestValidateRefusesReservedAddresses: frontends and backends whose address the programs
// cannot serve are refused with an error naming the frontend and the backend.
func TestValidateRefusesReservedAddresses(t *testing.T) {
	fe := func(a string) lb.Frontend {
		return lb.Frontend{Addr: netip.MustParseAddrPort(a), Protocol: lb.TCP}
	}
	be := func(a string) lb.SelectedBackend {
		return lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort(a), Protocol: lb.TCP}}
	}
	good := be("10.240.0.5:8080")
	for _, tc := range []struct {
		name, fe, be string
		wantIn       []string // substrings the error must contain; nil = accepted
	}{
		{"routable", "10.96.0.10:80", "10.240.0.6:8080", nil},
		{"loopback backend", "10.96.0.10:80", "127.0.0.2:8080", nil},
		{"frontend 0.0.0.0", "0.0.0.0:80", "", []string{"0.0.0.0:80", "unspecified"}},
		{"frontend 0.1.2.3", "0.1.2.3:80", "", []string{"0.1.2.3:80", "this network"}},
		{"frontend broadcast", "255.255.255.255:80", "", []string{"255.255.255.255:80", "broadcast"}},
		{"frontend multicast", "239.1.1.1:80", "", []string{"239.1.1.1:80", "multicast"}},
		{"frontend 127.0.0.1:22", "127.0.0.1:22", "", []string{"127.0.0.1:22", "loopback"}},
		{"frontend 127.9.9.9", "127.9.9.9:8080", "", []string{"127.9.9.9:8080", "loopback"}},
		{"backend 0.0.0.0", "10.96.0.10:80", "0.0.0.0:8080", []string{"10.96.0.10:80", "0.0.0.0:8080", "unspecified"}},
		{"backend broadcast", "10.96.0.10:80", "255.255.255.255:8080", []string{"10.96.0.10:80", "255.255.255.255:8080", "broadcast"}},
		{"backend multicast", "10.96.0.10:80", "224.0.0.1:8080", []string{"10.96.0.10:80", "224.0.0.1:8080", "multicast"}},
		{"backend IPv6 under IPv4", "10.96.0.10:80", "[fd00::5]:8080", []string{"10.96.0.10:80", "[fd00::5]:8080", "address family"}},
		{"backend IPv4-mapped under IPv4", "10.96.0.10:80", "[::ffff:10.240.0.6]:8080", []string{"10.96.0.10:80", "[::ffff:10.240.0.6]:8080", "IPv4-mapped"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Service{Frontend: fe(tc.fe), Backends: []lb.SelectedBackend{good}}
			if tc.be != "" {
				s.Backends = append(s.Backends, be(tc.be))
			}
			checkValidate(t, &s, tc.wantIn)
		})
	}
}

// TestValidateIPv6: IPv6 frontends take IPv6 backends; the IPv6 addresses the programs
// cannot serve are refused like their IPv4 counterparts.
func TestValidateIPv6(t *testing.T) {
	good := lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort("[fd00:10::5]:8080"), Protocol: lb.TCP}}
	for _, tc := range []struct {
		name, fe, be string
		wantIn       []string // nil = accepted
	}{
		{"routable", "[fd00:96::10]:80", "[fd00:10::6]:8080", nil},
		{"global", "[2001:db8::10]:443", "[2001:db8:1::6]:8443", nil},
		{"loopback backend", "[fd00:96::10]:80", "[::1]:8080", nil},
		{"link-local backend", "[fd00:96::10]:80", "[fe80::1]:8080", nil},
		{"frontend ::", "[::]:80", "", []string{"[::]:80", "unspecified"}},
		{"frontend ::1", "[::1]:22", "", []string{"[::1]:22", "loopback"}},
		{"frontend multicast", "[ff02::1]:80", "", []string{"[ff02::1]:80", "multicast"}},
		{"frontend IPv4-mapped", "[::ffff:10.96.0.10]:80", "", []string{"[::ffff:10.96.0.10]:80", "IPv4-mapped"}},
		{"frontend zoned", "[fe80::1%eth0]:80", "", []string{"fe80::1%eth0", "zone"}},
		{"backend IPv4 under IPv6", "[fd00:96::10]:80", "10.240.0.6:8080", []string{"[fd00:96::10]:80", "10.240.0.6:8080", "address family"}},
		{"backend ::", "[fd00:96::10]:80", "[::]:8080", []string{"[fd00:96::10]:80", "[::]:8080", "unspecified"}},
		{"backend multicast", "[fd00:96::10]:80", "[ff05::2]:8080", []string{"[ff05::2]:8080", "multicast"}},
		{"backend IPv4-mapped", "[fd00:96::10]:80", "[::ffff:10.240.0.6]:8080", []string{"[::ffff:10.240.0.6]:8080", "IPv4-mapped"}},
		{"backend zoned", "[fd00:96::10]:80", "[fe80::1%eth0]:8080", []string{"fe80::1%eth0", "zone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Service{Frontend: lb.Frontend{Addr: netip.MustParseAddrPort(tc.fe), Protocol: lb.TCP},
				Backends: []lb.SelectedBackend{good}}
			if tc.be != "" {
				s.Backends = append(s.Backends, lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort(tc.be), Protocol: lb.TCP}})
			}
			checkValidate(t, &s, tc.wantIn)
		})
	}
}

// checkValidate fails t unless s.Validate accepts s (wantIn nil) or refuses it with
// ErrUnsupported and an error naming every string in wantIn.
func checkValidate(t *testing.T, s *Service, wantIn []string) {
	t.Helper()
	err := s.Validate()
	if wantIn == nil {
		if err != nil {
			t.Fatalf("Validate = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Validate = %v, want ErrUnsupported", err)
	}
	for _, w := range wantIn {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

func TestValidateDuplicatesAndLimits(t *testing.T) {
	s := Service{Frontend: lb.Frontend{Addr: netip.MustParseAddrPort("10.96.0.10:80"), Protocol: lb.UDP}}
	b := lb.SelectedBackend{Backend: lb.Backend{Addr: netip.MustParseAddrPort("10.240.0.5:53"), Protocol: lb.UDP}}
	s.Backends = []lb.SelectedBackend{b, b}
	if err := s.Validate(); !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "10.240.0.5:53") {
		t.Fatalf("Validate = %v, want ErrDuplicate naming the backend", err)
	}
	s.Backends[1].Protocol = lb.TCP
	if err := s.Validate(); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Validate of a TCP backend under a UDP frontend = %v", err)
	}
	s.Backends = make([]lb.SelectedBackend, MaxBackendsPerService+1)
	if err := s.Validate(); !errors.Is(err, ErrCapacity) {
		t.Fatalf("Validate of %d backends = %v", len(s.Backends), err)
	}
}

// FuzzValidate: whatever the addresses, a service Validate accepts is stored in a form
// that reads back as itself: its frontend key decodes to the frontend, and every backend
// slot decodes to the backend and is never the all-zero free slot.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{10, 96, 0, 10}, uint16(80), uint8(6), []byte{10, 240, 0, 5}, uint16(8080), uint8(6), uint8(0))
	f.Add([]byte{127, 0, 0, 1}, uint16(22), uint8(6), []byte{10, 0, 0, 1}, uint16(22), uint8(6), uint8(0))
	f.Add([]byte{10, 96, 0, 10}, uint16(80), uint8(17), []byte{0, 0, 0, 0}, uint16(53), uint8(17), uint8(1))
	f.Add([]byte{255, 255, 255, 255}, uint16(80), uint8(6), []byte{224, 0, 0, 1}, uint16(1), uint8(6), uint8(9))
	f.Add(make([]byte, 16), uint16(80), uint8(6), make([]byte, 16), uint16(80), uint8(6), uint8(0))
	f.Fuzz(func(t *testing.T, fa []byte, fp uint16, fproto uint8, ba []byte, bp uint16, bproto uint8, state uint8) {
		fAddr, ok1 := netip.AddrFromSlice(fa)
		bAddr, ok2 := netip.AddrFromSlice(ba)
		if !ok1 || !ok2 {
			return
		}
		s := Service{
			Frontend: lb.Frontend{Addr: netip.AddrPortFrom(fAddr, fp), Protocol: lb.Protocol(fproto)},
			Backends: []lb.SelectedBackend{{Backend: lb.Backend{Addr: netip.AddrPortFrom(bAddr, bp), Protocol: lb.Protocol(bproto), State: lb.BackendState(state)}}},
		}
		if err := s.Validate(); err != nil {
			if !strings.Contains(err.Error(), s.Frontend.String()) {
				t.Fatalf("error %q does not name the frontend %v", err, s.Frontend)
			}
			return
		}
		var tb addrTable
		fk, _, err := tb.svcKey(s.Frontend, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := tb.frontend(fk); got != s.Frontend {
			t.Fatalf("frontend %v reads back as %v", s.Frontend, got)
		}
		if fAddr.IsLoopback() || fAddr.IsUnspecified() || fAddr.IsMulticast() || fAddr.Is4In6() || fAddr.Is4() != bAddr.Is4() {
			t.Fatalf("frontend %v accepted", s.Frontend)
		}
		k, _, err := tb.backendKey(&s.Backends[0].Backend, true)
		if err != nil {
			t.Fatal(err)
		}
		e := backendEntry{Addr: k.Addr, Port: k.Port, Proto: k.Proto, State: state}
		if e.Addr == 0 || e == (backendEntry{}) || is6(e.Addr) != !bAddr.Is4() {
			t.Fatalf("backend %v is stored as a free slot", s.Backends[0])
		}
		if got := tb.backend(&e); got != s.Backends[0].Backend {
			t.Fatalf("backend %v reads back as %v", s.Backends[0], got)
		}
	})
}
