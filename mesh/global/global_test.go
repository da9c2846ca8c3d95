package global

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

func ptr[T any](v T) *T { return &v }

func TestParse(t *testing.T) {
	const (
		glob   = "service.cilium.io/global"
		shared = "service.cilium.io/shared"
		aff    = "service.cilium.io/affinity"
		sync   = "service.cilium.io/global-sync-endpoint-slices"
		gAlias = "io.cilium/global-service"
		sAlias = "io.cilium/shared-service"
		aAlias = "io.cilium/service-affinity"
	)
	tests := []struct {
		name    string
		ann     map[string]string
		want    *lb.Global
		wantErr error
	}{
		{"no annotations", nil, nil, nil},
		{"global true", map[string]string{glob: "true"}, &lb.Global{}, nil},
		{"global TRUE any case", map[string]string{glob: "TRUE"}, &lb.Global{}, nil},
		{"global false", map[string]string{glob: "false"}, nil, nil},
		{"global invalid", map[string]string{glob: "yes"}, nil, ErrInvalidAnnotation},
		{"global 1 is not true", map[string]string{glob: "1"}, nil, ErrInvalidAnnotation},
		{"shared default true", map[string]string{glob: "true"}, &lb.Global{Unshared: false}, nil},
		{"shared false", map[string]string{glob: "true", shared: "false"}, &lb.Global{Unshared: true}, nil},
		{"shared invalid", map[string]string{glob: "true", shared: "nope"}, nil, ErrInvalidAnnotation},
		{"shared invalid on a local service", map[string]string{shared: "nope"}, nil, ErrInvalidAnnotation},
		{"affinity local", map[string]string{glob: "true", aff: "local"}, &lb.Global{Affinity: lb.AffinityLocal}, nil},
		{"affinity Remote", map[string]string{glob: "true", aff: "Remote"}, &lb.Global{Affinity: lb.AffinityRemote}, nil},
		{"affinity none literal", map[string]string{glob: "true", aff: "none"}, &lb.Global{Affinity: lb.AffinityNone, LiteralNone: true}, nil},
		{"affinity None literal", map[string]string{glob: "true", aff: "None"}, &lb.Global{Affinity: lb.AffinityNone, LiteralNone: true}, nil},
		{"affinity empty", map[string]string{glob: "true", aff: ""}, &lb.Global{Affinity: lb.AffinityNone}, nil},
		{"affinity invalid", map[string]string{glob: "true", aff: "nearest"}, nil, lb.ErrInvalidAffinity},
		{"affinity on a local service ignored", map[string]string{aff: "local"}, nil, nil},
		{"sync true", map[string]string{glob: "true", sync: "true"}, &lb.Global{SyncEndpointSlices: ptr(true)}, nil},
		{"sync false", map[string]string{glob: "true", sync: "False"}, &lb.Global{SyncEndpointSlices: ptr(false)}, nil},
		{"sync invalid", map[string]string{glob: "true", sync: "maybe"}, nil, ErrInvalidAnnotation},
		{"legacy aliases", map[string]string{gAlias: "true", sAlias: "false", aAlias: "remote"}, &lb.Global{Affinity: lb.AffinityRemote, Unshared: true}, nil},
		{"alias agreeing", map[string]string{glob: "true", gAlias: "True"}, &lb.Global{}, nil},
		{"alias disagreeing", map[string]string{glob: "true", gAlias: "false"}, nil, ErrConflictingAnnotations},
		{"affinity alias disagreeing", map[string]string{glob: "true", aff: "local", aAlias: "remote"}, nil, ErrConflictingAnnotations},
		{"unrelated annotations", map[string]string{"a": "b", glob: "true"}, &lb.Global{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("ns/svc", tt.ann)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "ns/svc") {
					t.Errorf("error %q does not name the service", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestInvalidValueErrorNamesKeyAndValue(t *testing.T) {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "song", Name: "userlist-svc",
		Annotations: map[string]string{"service.cilium.io/global": "true", "service.cilium.io/affinity": "closest"}}}
	_, err := FromService(svc)
	for _, want := range []string{"song/userlist-svc", "service.cilium.io/affinity", `"closest"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %s", err, want)
		}
	}
}

func TestSetGlobalRoundTrip(t *testing.T) {
	for _, g := range []lb.Global{
		{},
		{Affinity: lb.AffinityLocal},
		{Affinity: lb.AffinityRemote, Unshared: true},
		{SyncEndpointSlices: ptr(true)},
		{Affinity: lb.AffinityLocal, SyncEndpointSlices: ptr(false)},
	} {
		ac, err := Set(corev1ac.Service("svc", "ns"), g)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ac.Annotations["service.cilium.io/affinity"]; ok && g.Affinity == lb.AffinityNone {
			t.Errorf("%+v: affinity none written as an annotation: %v", g, ac.Annotations)
		}
		got, err := FromApplyConfiguration(ac)
		if err != nil || got == nil || !reflect.DeepEqual(*got, g) {
			t.Errorf("apply config round trip of %+v: got %+v, %v", g, got, err)
		}

		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "svc", Annotations: map[string]string{
			"io.cilium/service-affinity": "remote", "service.cilium.io/affinity": "remote", "keep": "me"}}}
		if err := SetService(svc, g); err != nil {
			t.Fatal(err)
		}
		got, err = FromService(svc)
		if err != nil || got == nil || !reflect.DeepEqual(*got, g) {
			t.Errorf("object round trip of %+v: got %+v, %v (annotations %v)", g, got, err, svc.Annotations)
		}
		if svc.Annotations["keep"] != "me" {
			t.Errorf("unrelated annotation lost: %v", svc.Annotations)
		}
		ClearService(svc)
		if got, err := FromService(svc); got != nil || err != nil || len(svc.Annotations) != 1 {
			t.Errorf("after ClearService: %+v %v %v", got, err, svc.Annotations)
		}
	}
	if _, err := Set(corev1ac.Service("svc", "ns"), lb.Global{Affinity: 9}); !errors.Is(err, lb.ErrInvalidAffinity) {
		t.Errorf("Affinity(9): err = %v", err)
	}
}

func TestNamespaceGlobal(t *testing.T) {
	ns := func(v string, set bool) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
		if set {
			n.Annotations = map[string]string{"clustermesh.cilium.io/global": v}
		}
		return n
	}
	tests := []struct {
		name    string
		ns      *corev1.Namespace
		def     bool
		want    bool
		wantErr bool
	}{
		{"unset default true", ns("", false), true, true, false},
		{"unset default false", ns("", false), false, false, false},
		{"true overrides default", ns("True", true), false, true, false},
		{"false overrides default", ns("false", true), true, false, false},
		{"invalid", ns("on", true), true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromNamespace(tt.ns, tt.def)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrInvalidAnnotation)) {
				t.Fatalf("err = %v", err)
			}
			if err == nil && got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	ac := SetNamespace(corev1ac.Namespace("team-a"), false)
	got, err := FromNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Annotations: ac.Annotations}}, true)
	if err != nil || got {
		t.Fatalf("SetNamespace(false) read back as %v, %v", got, err)
	}
}

func TestSyncsEndpointSlices(t *testing.T) {
	if !(lb.Global{}).SyncsEndpointSlices(true) || (lb.Global{}).SyncsEndpointSlices(false) {
		t.Error("default should sync headless services only")
	}
	if (lb.Global{SyncEndpointSlices: ptr(false)}).SyncsEndpointSlices(true) {
		t.Error("explicit false ignored")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("true", "false", "local", "true", "")
	f.Add("TRUE", "", "none", "", "remote")
	f.Add("yes", "1", "nearest", "x", "")
	f.Add("", "", "", "", "\x00")
	f.Fuzz(func(t *testing.T, global, shared, affinity, sync, alias string) {
		ann := map[string]string{}
		for k, v := range map[string]string{
			"service.cilium.io/global": global, "service.cilium.io/shared": shared,
			"service.cilium.io/affinity": affinity, "service.cilium.io/global-sync-endpoint-slices": sync,
			"io.cilium/service-affinity": alias,
		} {
			if v != "" {
				ann[k] = v
			}
		}
		g, err := Parse("ns/svc", ann)
		if err != nil {
			if !errors.Is(err, ErrInvalidAnnotation) && !errors.Is(err, lb.ErrInvalidAffinity) && !errors.Is(err, ErrConflictingAnnotations) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if (g != nil) != strings.EqualFold(global, "true") {
			t.Fatalf("global %q parsed as %+v", global, g)
		}
		if g == nil {
			return
		}
		// What was read writes back to annotations that read the same.
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "svc"}}
		if err := SetService(svc, *g); err != nil {
			t.Fatal(err)
		}
		back, err := FromService(svc)
		if err != nil || back == nil || !reflect.DeepEqual(*back, *g) {
			t.Fatalf("round trip %+v -> %v -> %+v, %v", g, svc.Annotations, back, err)
		}
	})
}
func TestNoneIsNotCiliumsLiteralNoneBug(t *testing.T) {
	// A service annotated with the literal "none" uses remote backends.
	g, err := Parse("ns/svc", map[string]string{"service.cilium.io/global": "true", "service.cilium.io/affinity": "none"})
	if err != nil {
		t.Fatal(err)
	}
	s := lb.Select(g, []lb.Backend{be("10.0.0.1:80", 1)}, []lb.Backend{be("10.1.0.1:80", 2)})
	if !s.UsesRemote || len(s.Backends) != 2 {
		t.Fatalf("literal none dropped remote backends: %v", s)
	}
	// Reading it warns, and what Cilium 1.19.3 does with it can be modelled.
	if w := g.Warning(); !strings.Contains(w, "local backends only") {
		t.Errorf("warning %q", w)
	}
	c := lb.SelectLikeCilium(g, []lb.Backend{be("10.0.0.1:80", 1)}, []lb.Backend{be("10.1.0.1:80", 2)})
	if c.UsesRemote || len(c.Backends) != 1 {
		t.Errorf("Cilium 1.19.3 model kept remote backends: %v", c)
	}
	// Without the literal there is nothing to warn about and both selections agree.
	g, _ = Parse("ns/svc", map[string]string{"service.cilium.io/global": "true"})
	if g.Warning() != "" || !lb.SelectLikeCilium(g, nil, []lb.Backend{be("10.1.0.1:80", 2)}).UsesRemote {
		t.Errorf("no literal: warning %q", g.Warning())
	}
}

func be(addr string, cluster uint32) lb.Backend {
	return lb.Backend{Addr: netip.MustParseAddrPort(addr), Protocol: lb.TCP, ClusterID: cluster}
}
