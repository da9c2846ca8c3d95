package clustermesh

import (
	"fmt"
	"maps"
	"slices"
)

// peerEntries returns the entries of a clustermesh.config.clusters value in either form
// the chart takes (a list of entries with "name", or a map keyed by name), each as a map
// with "name". Entries that are not maps, or lack a name, are dropped: the chart would
// fail on them. present is valueAt's second result, so that peerEntries(valueAt(...))
// reads a path directly; a missing path has no entries.
func peerEntries(v any, present bool) []any {
	if !present {
		return nil
	}
	var out []any
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok && fmt.Sprint(m["name"]) != "" && m["name"] != nil {
				out = append(out, copyHelmMap(m))
			}
		}
	case map[string]any:
		for _, name := range slices.Sorted(maps.Keys(x)) {
			if m, ok := x[name].(map[string]any); ok {
				e := copyHelmMap(m)
				e["name"] = name
				out = append(out, e)
			}
		}
	}
	return out
}

// mergePeers merges peer entries by name, later sources over earlier ones, and the
// mesh's peers over all of them, and returns them as the list form of
// clustermesh.config.clusters, sorted by name. An entry the mesh sets keeps the other
// fields an earlier source gave it (per-peer tls, enabled) but takes the mesh's port and
// its ips or address.
func mergePeers(sources [][]any, ours map[string]*Access) []any {
	byName := map[string]map[string]any{}
	for _, src := range sources {
		for _, e := range src {
			m := e.(map[string]any)
			name := fmt.Sprint(m["name"])
			if prev, ok := byName[name]; ok {
				mergeHelmInto(prev, m)
				continue
			}
			byName[name] = m
		}
	}
	for name, a := range ours {
		e := byName[name]
		if e == nil {
			e = map[string]any{"name": name}
		}
		delete(e, "ips")
		delete(e, "address")
		delete(e, "port")
		mergeHelmInto(e, a.peerValue())
		byName[name] = e
	}
	out := make([]any, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out
}
