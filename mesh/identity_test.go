package mesh_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ciliumkit/ciliumkit/mesh"
)

func TestValidateClusterName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"tokyo", true},
		{"hk", true},
		{"a", true},
		{"0", true},
		{"us-east-1", true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"Tokyo", false},
		{"-tokyo", false},
		{"tokyo-", false},
		{"-", false},
		{"to_kyo", false},
		{"tokyo.1", false},
		{"東京", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := mesh.ValidateClusterName(tc.name)
			if tc.ok != (err == nil) {
				t.Fatalf("ValidateClusterName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
			}
			if err != nil && (!errors.Is(err, mesh.ErrInvalidClusterName) || !strings.Contains(err.Error(), tc.name)) {
				t.Errorf("error %q does not wrap ErrInvalidClusterName and name %q", err, tc.name)
			}
		})
	}
}

func TestValidateClusterID(t *testing.T) {
	for _, tc := range []struct {
		id      uint32
		max     int
		wantErr error
	}{
		{0, 255, mesh.ErrInvalidClusterID},
		{1, 255, nil},
		{255, 255, nil},
		{256, 255, mesh.ErrInvalidClusterID},
		{0, 511, mesh.ErrInvalidClusterID},
		{256, 511, nil},
		{511, 511, nil},
		{512, 511, mesh.ErrInvalidClusterID},
		{1, 256, mesh.ErrInvalidMaxConnectedClusters},
		{1, 0, mesh.ErrInvalidMaxConnectedClusters},
	} {
		err := mesh.ValidateClusterID(tc.id, tc.max)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("ValidateClusterID(%d, %d) = %v, want %v", tc.id, tc.max, err, tc.wantErr)
		}
	}
}

func TestClusterValidate(t *testing.T) {
	for _, tc := range []struct {
		c       mesh.Cluster
		max     int
		wantErr error
	}{
		{mesh.Cluster{Name: "tokyo", ID: 1}, 255, nil},
		{mesh.Cluster{Name: "hk", ID: 2}, 255, nil},
		{mesh.Cluster{Name: "default", ID: 1}, 255, mesh.ErrDefaultClusterName},
		{mesh.Cluster{Name: "edge", ID: 300}, 255, mesh.ErrInvalidClusterID},
		{mesh.Cluster{Name: "edge", ID: 300}, 511, nil},
		{mesh.Cluster{Name: "Edge", ID: 3}, 255, mesh.ErrInvalidClusterName},
	} {
		err := tc.c.Validate(tc.max)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("%+v.Validate(%d) = %v, want %v", tc.c, tc.max, err, tc.wantErr)
		}
	}
}

func TestIdentities(t *testing.T) {
	for _, tc := range []struct {
		id          uint32
		max         int
		first, last uint32
		shift       uint
	}{
		{1, 255, 1 << 16, 2<<16 - 1, 16},
		{2, 255, 2 << 16, 3<<16 - 1, 16},
		{255, 255, 255 << 16, 1<<24 - 1, 16},
		{1, 511, 1 << 15, 2<<15 - 1, 15},
		{256, 511, 256 << 15, 257<<15 - 1, 15},
		{511, 511, 511 << 15, 1<<24 - 1, 15},
	} {
		r, err := mesh.Identities(tc.id, tc.max)
		if err != nil || r.First != tc.first || r.Last != tc.last {
			t.Errorf("Identities(%d, %d) = %+v, %v; want %d-%d", tc.id, tc.max, r, err, tc.first, tc.last)
		}
		if r.Size() != 1<<tc.shift || !r.Contains(tc.first) || !r.Contains(tc.last) || r.Contains(tc.last+1) || r.Contains(tc.first-1) {
			t.Errorf("Identities(%d, %d) = %+v: size %d, want %d and inclusive bounds", tc.id, tc.max, r, r.Size(), 1<<tc.shift)
		}
		if shift, err := mesh.ClusterIDShift(tc.max); err != nil || shift != tc.shift {
			t.Errorf("ClusterIDShift(%d) = %d, %v; want %d", tc.max, shift, err, tc.shift)
		}
	}
	for _, tc := range []struct {
		id  uint32
		max int
	}{{0, 255}, {256, 255}, {512, 511}, {1, 100}} {
		if _, err := mesh.Identities(tc.id, tc.max); err == nil {
			t.Errorf("Identities(%d, %d) succeeded, want an error", tc.id, tc.max)
		}
	}
	// The ranges of all IDs tile the 24-bit identity space above the local range.
	for _, max := range []int{255, 511} {
		var next uint32
		for id := uint32(1); id <= uint32(max); id++ {
			r, _ := mesh.Identities(id, max)
			if id > 1 && r.First != next {
				t.Fatalf("max %d: range of ID %d starts at %d, want %d (adjacent to ID %d)", max, id, r.First, next, id-1)
			}
			next = r.Last + 1
		}
		if next != 1<<24 {
			t.Errorf("max %d: last range ends at %d, want 2^24-1", max, next-1)
		}
	}
}
