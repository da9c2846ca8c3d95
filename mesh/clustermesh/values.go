package clustermesh

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// MergeValues returns a deep copy of base with each overlay merged over it in turn, the
// way Connect and Enable combine a release's deployed values, the Target's Values and the
// mesh's values: nested maps merge key by key, any other overlay value (lists included)
// replaces the base value. The inputs are not modified.
func MergeValues(base map[string]any, overlays ...map[string]any) map[string]any {
	out := copyHelmMap(base)
	for _, o := range overlays {
		mergeHelmInto(out, o)
	}
	return out
}

func mergeHelmInto(dst, src map[string]any) {
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if sok && dok {
			mergeHelmInto(dm, sm)
			continue
		}
		dst[k] = copyHelmValue(v)
	}
}

func copyHelmMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyHelmValue(v)
	}
	return out
}

func copyHelmValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyHelmMap(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyHelmValue(e)
		}
		return out
	}
	return v
}

// valueAt returns the value at a dotted path of nested maps, e.g. "clustermesh.config".
func valueAt(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// ValueOwner says on whose behalf a Helm value changes.
type ValueOwner string

// Owners of value changes.
const (
	// OwnerMesh: a value ciliumkit owns: cluster.name, cluster.id, every clustermesh.* key
	// and tls.ca.cert / tls.ca.key (the Cilium CA the mesh shares).
	OwnerMesh ValueOwner = "mesh"
	// OwnerCaller: a key the caller passed in Target.Values.
	OwnerCaller ValueOwner = "caller"
	// OwnerNone: neither; Connect and Enable refuse such a change unless
	// ConnectOptions.AllowOtherChanges is set.
	OwnerNone ValueOwner = "none"
)

// ValueChange is one Helm value a run changes (or would change) in a release's
// user-supplied values.
type ValueChange struct {
	// Key is the dotted path, e.g. "clustermesh.config.clusters" or "encryption.enabled".
	// Lists are compared whole; a map is walked key by key.
	Key string
	// Old and New are the values before and after; Old is nil for a new key, New is nil
	// for a key removed.
	Old, New any
	// Owner says on whose behalf it changes.
	Owner ValueOwner
}

// String returns "key: old -> new (owner)", with <unset> for a missing side; strings
// longer than 64 bytes (certificates) are shortened.
func (c ValueChange) String() string {
	show := func(v any) string {
		if v == nil {
			return "<unset>"
		}
		t := fmt.Sprint(v)
		if len(t) > 64 {
			return fmt.Sprintf("%s…(%d bytes)", t[:32], len(t))
		}
		return t
	}
	return fmt.Sprintf("%s: %s -> %s (%s)", c.Key, show(c.Old), show(c.New), c.Owner)
}

// Redacted is the Old or New of a ValueChange whose key holds secret material (a key
// named like key, password, secret or token, e.g. tls.ca.key).
const Redacted = "<redacted>"

// DiffValues returns what changes between two sets of Helm values, sorted by key, each
// with its owner given the caller's own values (keys present in caller are OwnerCaller).
// Maps are walked down to their leaves; lists and other values are compared whole.
// Values of secret keys are replaced by Redacted, so a report or error never carries
// them.
func DiffValues(old, new, caller map[string]any) []ValueChange {
	var out []ValueChange
	diffInto(&out, "", old, new)
	for i := range out {
		out[i].Owner = ownerOf(out[i].Key, caller)
		if secretKey(out[i].Key) {
			if out[i].Old != nil {
				out[i].Old = Redacted
			}
			if out[i].New != nil {
				out[i].New = Redacted
			}
		}
	}
	slices.SortFunc(out, func(a, b ValueChange) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func secretKey(key string) bool {
	last := strings.ToLower(key[strings.LastIndex(key, ".")+1:])
	for _, s := range []string{"key", "password", "secret", "token"} {
		if strings.HasSuffix(last, s) {
			return true
		}
	}
	return false
}

func diffInto(out *[]ValueChange, prefix string, old, new map[string]any) {
	for k, nv := range new {
		key := join(prefix, k)
		ov, had := old[k]
		om, oIsMap := ov.(map[string]any)
		nm, nIsMap := nv.(map[string]any)
		switch {
		case nIsMap && (oIsMap || !had):
			diffInto(out, key, om, nm)
		case oIsMap && nv == nil:
			diffInto(out, key, om, nil)
		case !had:
			*out = append(*out, ValueChange{Key: key, New: nv})
		case !reflect.DeepEqual(normal(ov), normal(nv)):
			*out = append(*out, ValueChange{Key: key, Old: ov, New: nv})
		}
	}
	for k, ov := range old {
		if _, ok := new[k]; ok {
			continue
		}
		if om, ok := ov.(map[string]any); ok {
			diffInto(out, join(prefix, k), om, nil)
			continue
		}
		*out = append(*out, ValueChange{Key: join(prefix, k), Old: ov})
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// normal makes numbers comparable across the forms Helm values take (int from Go,
// float64 from JSON, int64 from YAML).
func normal(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case uint32:
		return float64(x)
	case uint16:
		return float64(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normal(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = normal(e)
		}
		return l
	}
	return v
}

// ownerOf tells whose key is: the mesh's, the caller's (a path present in caller, or
// below one), or nobody's.
func ownerOf(key string, caller map[string]any) ValueOwner {
	switch {
	case key == "cluster.name", key == "cluster.id", key == "clustermesh", strings.HasPrefix(key, "clustermesh."),
		key == "tls.ca.cert", key == "tls.ca.key":
		return OwnerMesh
	}
	var cur any = caller
	for _, p := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return OwnerCaller // the caller set a non-map value above this key
		}
		if cur, ok = m[p]; !ok {
			return OwnerNone
		}
	}
	return OwnerCaller
}
