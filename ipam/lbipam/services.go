package lbipam

// serviceIndex maps Services to their state, one small map of names per namespace: a
// lookup hashes the namespace in a map that stays small and the name in a map of that
// namespace alone, which touches less memory than one map over every Service and grows
// in smaller steps. The zero value is empty and ready to use.
type serviceIndex struct {
	byNS map[string]map[string]*serviceState
}

// get returns the state of the Service namespace/name, or nil.
func (x *serviceIndex) get(namespace, name string) *serviceState {
	return x.byNS[namespace][name]
}

// getOrAdd returns the state of the Service namespace/name, made by add when there is
// none.
func (x *serviceIndex) getOrAdd(namespace, name string, add func(serviceKey) *serviceState) (s *serviceState, added bool) {
	names := x.byNS[namespace]
	if names == nil {
		if x.byNS == nil {
			x.byNS = map[string]map[string]*serviceState{}
		}
		names = map[string]*serviceState{}
		x.byNS[namespace] = names
	} else if s = names[name]; s != nil {
		return s, false
	}
	s = add(serviceKey{namespace, name})
	names[name] = s
	return s, true
}

// remove forgets the Service namespace/name.
func (x *serviceIndex) remove(namespace, name string) {
	names := x.byNS[namespace]
	if _, ok := names[name]; !ok {
		return
	}
	delete(names, name)
	if len(names) == 0 {
		delete(x.byNS, namespace)
	}
}

// each calls fn for every Service, in no particular order.
func (x *serviceIndex) each(fn func(*serviceState)) {
	for _, names := range x.byNS {
		for _, s := range names {
			fn(s)
		}
	}
}
