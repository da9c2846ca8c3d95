package kvstore

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

const goodValue = `{"cluster":"hk","namespace":"song","name":"userlist-svc",` +
	`"frontends":{"10.43.112.141":{"http":{"Protocol":"TCP","Port":80}}},` +
	`"backends":{"10.245.2.249":{"http":{"Protocol":"TCP","Port":8181}}},` +
	`"labels":{},"selector":{"app":"userlist"},"includeExternal":true,"shared":true,"clusterID":2}`

func TestDecodeClusterService(t *testing.T) {
	key := ServiceKey("hk", "song", "userlist-svc")
	edit := func(old, new string) string {
		if !strings.Contains(goodValue, old) {
			t.Fatalf("test bug: %q not in the value", old)
		}
		return strings.Replace(goodValue, old, new, 1)
	}
	tests := []struct {
		name  string
		key   string
		value string
		opts  *DecodeOptions
		want  error
		note  Note // the one note an accepted value carries, "" for none
	}{
		{"good", key, goodValue, nil, nil, ""},
		{"good, pinned ID", key, goodValue, &DecodeOptions{ClusterID: 2}, nil, ""},
		{"IPv6", key, edit("10.245.2.249", "fd00::1"), nil, nil, ""},
		{"too large", key, goodValue, &DecodeOptions{MaxValueSize: 100}, ErrTooLarge, ""},
		{"not JSON", key, "{", nil, ErrMalformed, ""},
		{"array", key, "[]", nil, ErrMalformed, ""},
		{"trailing data", key, goodValue + "{}", nil, ErrMalformed, ""},
		{"wrong type", key, edit(`"clusterID":2`, `"clusterID":"2"`), nil, ErrMalformed, ""},
		{"negative ID", key, edit(`"clusterID":2`, `"clusterID":-2`), nil, ErrMalformed, ""},
		{"unknown field", key, edit(`"shared":true`, `"shared":true,"evil":1`), nil, nil, NoteUnknownField},
		{"unknown nested field", key, edit(`"Port":80}`, `"Port":80,"x":1}`), nil, nil, NoteUnknownField},
		{"cluster mismatch", key, edit(`"cluster":"hk"`, `"cluster":"tokyo"`), nil, ErrClusterMismatch, ""},
		{"pinned ID mismatch", key, goodValue, &DecodeOptions{ClusterID: 3}, ErrClusterMismatch, ""},
		{"name mismatch", key, edit(`"name":"userlist-svc"`, `"name":"other"`), nil, ErrNameMismatch, ""},
		{"namespace mismatch", key, edit(`"namespace":"song"`, `"namespace":"kube-system"`), nil, ErrNameMismatch, ""},
		{"key of another cluster", ServiceKey("tokyo", "song", "userlist-svc"), goodValue, nil, ErrBadKey, ""},
		{"key too deep", key + "/x", goodValue, nil, ErrBadKey, ""},
		{"key too short", ClusterServicesPrefix("hk") + "song", goodValue, nil, ErrBadKey, ""},
		{"bad namespace", ServiceKey("hk", "Song", "userlist-svc"), edit(`"namespace":"song"`, `"namespace":"Song"`), nil, nil, NoteBadName},
		{"ID 0", key, edit(`"clusterID":2`, `"clusterID":0`), nil, ErrBadClusterID, ""},
		{"ID 512", key, edit(`"clusterID":2`, `"clusterID":512`), nil, ErrBadClusterID, ""},
		{"bad backend IP", key, edit("10.245.2.249", "10.245.2.300"), nil, ErrBadIP, ""},
		{"non-canonical IP", key, edit("10.245.2.249", "FD00::1"), nil, nil, NoteNonCanonicalIP},
		{"IPv4-mapped IP", key, edit("10.245.2.249", "::ffff:10.245.2.249"), nil, nil, NoteNonCanonicalIP},
		{"zoned IP", key, edit("10.245.2.249", "fe80::1%eth0"), nil, nil, NoteNonCanonicalIP},
		{"bad frontend IP", key, edit("10.43.112.141", "frontend"), nil, ErrBadIP, ""},
		{"bad hostname IP", key, edit(`"labels":{}`, `"hostnames":{"x":"y"},"labels":{}`), nil, nil, NoteBadAddress},
		{"bad zone IP", key, edit(`"labels":{}`, `"zones":{"1.2.3":{"zone":"a","forZones":null}},"labels":{}`), nil, nil, NoteBadAddress},
		{"null port", key, edit(`{"Protocol":"TCP","Port":8181}`, `null`), nil, nil, NoteBadPort},
		{"port 0", key, edit(`"Port":8181`, `"Port":0`), nil, nil, NoteBadPort},
		{"port 70000", key, edit(`"Port":8181`, `"Port":70000`), nil, ErrMalformed, ""},
		{"kvstoremesh cache key", CachedServicesPrefix("hk") + "song/userlist-svc", goodValue, nil, nil, ""},
		{"protocol ICMP", key, edit(`"Protocol":"TCP","Port":8181`, `"Protocol":"ICMP","Port":8181`), nil, nil, NoteBadPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, notes, err := DecodeClusterService("hk", tt.key, []byte(tt.value), tt.opts)
			if tt.want == nil {
				if err != nil || s == nil {
					t.Fatalf("rejected: %v", err)
				}
				var want []Note
				if tt.note != "" {
					want = []Note{tt.note}
				}
				if !slices.Equal(notes, want) {
					t.Fatalf("notes %v, want %v", notes, want)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name the key", err)
			}
			if Reason(err) == "other" {
				t.Errorf("no reason for %v", err)
			}
		})
	}
}

func TestDecodeClusterConfig(t *testing.T) {
	tests := []struct {
		value string
		want  error
	}{
		{`{"id":2,"capabilities":{"syncedCanaries":true,"maxConnectedClusters":255}}`, nil},
		{`{}`, nil},
		{`{"id":300}`, ErrBadClusterID},
		{`{"id":300,"capabilities":{"maxConnectedClusters":511}}`, nil},
		{`{"id":2,"capabilities":{"maxConnectedClusters":100}}`, ErrBadClusterID},
		{`{"id":2,"extra":true}`, nil}, // a newer peer's field, ignored as Cilium does
		{`{"id":2}x`, ErrMalformed},
		{`"x"`, ErrMalformed},
	}
	for _, tt := range tests {
		_, err := DecodeClusterConfig("hk", []byte(tt.value))
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.value, err, tt.want)
		}
	}
}

func TestMeshBackends(t *testing.T) {
	s, _, err := DecodeClusterService("hk", ServiceKey("hk", "song", "userlist-svc"), []byte(strings.Replace(goodValue,
		`"labels":{}`, `"zones":{"10.245.2.249":{"zone":"ap-east-1a","forZones":null}},"labels":{}`, 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := s.MeshBackends()
	if err != nil || len(bs) != 1 {
		t.Fatalf("%v %v", bs, err)
	}
	if got := bs[0].String(); got != "10.245.2.249:8181/TCP (active) @cluster 2" || bs[0].Zone != "ap-east-1a" {
		t.Fatalf("got %s zone %q", got, bs[0].Zone)
	}
}

func FuzzDecodeClusterService(f *testing.F) {
	key := ServiceKey("hk", "song", "userlist-svc")
	f.Add(key, []byte(goodValue))
	f.Add(key, []byte(`{"cluster":"hk","namespace":"song","name":"userlist-svc","frontends":null,"backends":{"::1":{"":null}},"clusterID":1}`))
	f.Add(key, []byte(`{"cluster":"hk","zones":{"1.1.1.1":{"zone":"","forZones":[{"name":"a"}]}}}`))
	f.Add(ClusterServicesPrefix("hk")+"a/b/c", []byte(`[]`))
	f.Add(key, []byte("\x00"))
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		s, _, err := DecodeClusterService("hk", key, data, &DecodeOptions{MaxValueSize: 4096})
		if err != nil {
			if s != nil || Reason(err) == "other" {
				t.Fatalf("error %v with value %v or without a reason", err, s)
			}
			return
		}
		// Whatever is accepted re-encodes to a value that is accepted and equal.
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		s2, _, err := DecodeClusterService("hk", key, again, nil)
		if err != nil {
			t.Fatalf("re-encoded value rejected: %v\n%s", err, again)
		}
		if _, err := s2.MeshBackends(); err != nil {
			t.Fatalf("accepted value has bad backends: %v", err)
		}
		if s2.String() != s.String() || len(s2.Backends) != len(s.Backends) || len(s2.Frontends) != len(s.Frontends) {
			t.Fatalf("round trip changed %v into %v", s, s2)
		}
	})
}

func FuzzDecodeClusterConfig(f *testing.F) {
	f.Add([]byte(`{"id":2,"capabilities":{"syncedCanaries":true,"maxConnectedClusters":255}}`))
	f.Add([]byte(`{"id":600}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeClusterConfig("hk", data)
		if err != nil {
			return
		}
		if c.ID > 511 {
			t.Fatalf("accepted ID %d", c.ID)
		}
	})
}
