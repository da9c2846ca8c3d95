package clustermesh

// mergeHelmValues returns a deep copy of base with each overlay merged over it in turn:
// nested maps merge key by key, any other overlay value replaces the base value.
// The inputs are not modified.
func mergeHelmValues(base map[string]any, overlays ...map[string]any) map[string]any {
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
