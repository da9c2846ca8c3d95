package kvstore

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ciliumkit/ciliumkit/mesh"
)

// fastSeeds are values the fast parser takes and values it must hand to encoding/json,
// each with the key it is read under.
func fastSeeds(t testing.TB) []string {
	svc := service(mesh.Cluster{Name: "hk", ID: 2}, 1, 1)
	svc.Namespace, svc.Name = "song", "userlist-svc"
	ours, err := json.Marshal(svc)
	if err != nil {
		t.Fatal(err)
	}
	c := ciliumSample()
	theirs, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string { return strings.Replace(goodValue, old, new, 1) }
	return []string{
		goodValue,
		string(theirs),
		string(ours),
		" \t\r\n" + goodValue + "\n ",
		edit(`"shared":true`, `"shared":true,"evil":{"a":[1,-2.5e+3,true,false,null,"\u00e9\n"]}`),
		edit(`"Port":80}`, `"Port":80,"x":1}`),
		edit(`"name":"userlist-svc"`, `"Name":"userlist-svc"`),
		edit(`"name":"userlist-svc"`, `"name":"userlist-svc","name":"other"`),
		edit(`"name":"userlist-svc"`, `"name":"user\u006cist-svc"`),
		edit(`"name":"userlist-svc"`, `"ſhared":false,"name":"userlist-svc"`),
		edit(`"clusterID":2`, `"clusterID":2.0`),
		edit(`"clusterID":2`, `"clusterID":02`),
		edit(`"clusterID":2`, `"clusterID":4294967296`),
		edit(`"clusterID":2`, `"clusterID":null`),
		edit(`"Port":8181`, `"Port":65536`),
		edit(`"Port":8181`, `"Port":null`),
		edit(`{"Protocol":"TCP","Port":8181}`, `null`),
		edit(`"selector":{"app":"userlist"}`, `"selector":null`),
		edit(`"selector":{"app":"userlist"}`, `"selector":{"app":null}`),
		edit(`"labels":{}`, `"zones":{"10.245.2.249":{"zone":"a","forZones":[]}},"labels":{}`),
		edit(`"labels":{}`, `"zones":{"10.245.2.249":{"zone":"a","forZones":[{"name":"b"},{"name":"c","x":[]}]}},"labels":{}`),
		edit(`"labels":{}`, `"hostnames":{"10.245.2.249":"hé"},"labels":{}`),
		edit(`"labels":{}`, `"labels":{"\xff":"x"}`),
		edit(`"includeExternal":true`, `"includeExternal":null`),
		edit(`"includeExternal":true`, `"includeExternal":"true"`),
		goodValue + "{}",
		goodValue[:len(goodValue)-1],
		`null`,
		`{}`,
		`{"cluster":"hk","namespace":"song","name":"userlist-svc","frontends":{"10.0.0.1":{"":{}}},"clusterID":1,"frontends":{}}`,
	}
}

// decodeBoth decodes data with the fast parser and with encoding/json alone and fails t
// when they differ in the service, the notes or the error.
func decodeBoth(t *testing.T, key string, data []byte) (fastOK bool) {
	t.Helper()
	o := DecodeOptions{MaxValueSize: 4096}
	s1, n1, err1 := decodeService("hk", key, data, o, true)
	s2, n2, err2 := decodeService("hk", key, data, o, false)
	if fmt.Sprint(err1) != fmt.Sprint(err2) {
		t.Fatalf("%q: fast path error %v, encoding/json %v", data, err1, err2)
	}
	if !reflect.DeepEqual(s1, s2) {
		t.Fatalf("%q: fast path decoded\n%#v\nencoding/json\n%#v", data, s1, s2)
	}
	// The order of two notes found in different map entries follows map iteration.
	slices.Sort(n1)
	slices.Sort(n2)
	if !slices.Equal(n1, n2) {
		t.Fatalf("%q: fast path notes %v, encoding/json %v", data, n1, n2)
	}
	var s ClusterService
	_, ok := decodeFast(data, &s)
	return ok
}

func TestDecodeFastMatchesReference(t *testing.T) {
	key := ServiceKey("hk", "song", "userlist-svc")
	for _, v := range fastSeeds(t) {
		decodeBoth(t, key, []byte(v))
	}
}

// TestDecodeFastTakesWhatPeersWrite: the values ciliumkit's and Cilium's writers produce,
// and a newer peer's unknown fields, take the fast path; what it does not handle goes to
// encoding/json.
func TestDecodeFastTakesWhatPeersWrite(t *testing.T) {
	seeds := fastSeeds(t)
	for i, want := range map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true,
		6: false, 7: false, 8: false, 9: false, 10: false, 13: true, 15: true, 16: true, 17: true,
		19: true, 20: true, 21: true, 22: false} {
		var s ClusterService
		_, ok := decodeFast([]byte(seeds[i]), &s)
		if ok != want {
			t.Errorf("fast path took %v, want %v: %s", ok, want, seeds[i])
		}
	}
}

// TestDecodeFastUnknownFieldCopies: the strings of a value share one copy of it, unless
// an unknown field was skipped: then each has its own, so that the unknown field is not
// kept alive with them.
func TestDecodeFastUnknownFieldCopies(t *testing.T) {
	// distance is how far apart the bytes of the namespace and the name are, and want how
	// far apart they are in the value.
	distance := func(data string) (got, want int) {
		var s ClusterService
		if _, ok := decodeFast([]byte(data), &s); !ok {
			t.Fatalf("fast path refused %s", data)
		}
		got = int(uintptr(unsafe.Pointer(unsafe.StringData(s.Name))) - uintptr(unsafe.Pointer(unsafe.StringData(s.Namespace))))
		return got, strings.Index(data, `"userlist-svc"`) - strings.Index(data, `"song"`)
	}
	if got, want := distance(goodValue); got != want {
		t.Fatalf("strings of a known value are %d bytes apart, %d in the value: not one copy", got, want)
	}
	big := strings.Replace(goodValue, `"namespace":"song"`, `"namespace":"song","big":"`+strings.Repeat("x", 1<<16)+`"`, 1)
	if got, want := distance(big); got == want {
		t.Fatalf("strings of a value with an unknown field share its bytes")
	}
}

func TestDecodeFastAllocations(t *testing.T) {
	data, _ := json.Marshal(service(tokyo, 1, 1))
	key := ServiceKey("tokyo", "ns-1", "svc-1")
	fast := testing.AllocsPerRun(100, func() { decodeService("tokyo", key, data, DecodeOptions{}, true) })
	ref := testing.AllocsPerRun(100, func() { decodeService("tokyo", key, data, DecodeOptions{}, false) })
	plain := testing.AllocsPerRun(100, func() { json.Unmarshal(data, new(ClusterService)) })
	t.Logf("allocations per value: fast %v, encoding/json reference %v, plain json.Unmarshal %v", fast, ref, plain)
	if fast >= plain {
		t.Fatalf("fast path allocates %v times per value, json.Unmarshal %v", fast, plain)
	}
}

// FuzzDecodeFast: the fast parser and encoding/json decode every input to the same
// service, notes and error.
func FuzzDecodeFast(f *testing.F) {
	for _, v := range fastSeeds(f) {
		f.Add([]byte(v))
	}
	key := ServiceKey("hk", "song", "userlist-svc")
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, key, data)
	})
}

func TestDNSLabels(t *testing.T) {
	for _, s := range []string{"", "a", "0", "a-b", "-a", "a-", "A", "a.b", "0a", strings.Repeat("a", 63), strings.Repeat("a", 64), "é"} {
		checkDNSLabels(t, s)
	}
}

func checkDNSLabels(t *testing.T, s string) {
	if got, want := isDNS1123Label(s), len(validation.IsDNS1123Label(s)) == 0; got != want {
		t.Errorf("isDNS1123Label(%q) = %v, validation says %v", s, got, want)
	}
	if got, want := isDNS1035Label(s), len(validation.IsDNS1035Label(s)) == 0; got != want {
		t.Errorf("isDNS1035Label(%q) = %v, validation says %v", s, got, want)
	}
}

func FuzzDNSLabels(f *testing.F) {
	f.Add("my-name")
	f.Add("123-abc")
	f.Fuzz(checkDNSLabels)
}
