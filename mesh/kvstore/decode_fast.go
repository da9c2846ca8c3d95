package kvstore

import "unicode/utf8"

// fastParser decodes the common form of a ClusterService value in one pass, without
// reflection: exactly what json.Unmarshal would store, or nothing. Whenever the input
// leaves the subset it handles — an escaped string, a key that matches a field only
// case-insensitively, a field given twice, a value of another type, a number that is not
// a plain unsigned integer in range, invalid UTF-8, deep nesting, a syntax error — it
// gives up and the caller decodes with encoding/json instead, which also produces the
// error for what is rejected. Unknown fields it skips, checking their syntax as strictly
// as encoding/json does, and reports.
//
// Strings of the result share one copy of the value (str), so a value costs one string
// allocation instead of one per key and string; once an unknown field is seen, the caller
// parses again with copy set, so that a large unknown field is not kept alive by the
// strings that remain.
type fastParser struct {
	data    []byte
	i       int    // next byte of data
	str     string // data as one string, when !copy
	copy    bool   // allocate each string on its own
	unknown bool   // an unknown field was skipped
	slab    []L4Addr
}

// maxSkipDepth bounds the nesting of an unknown field's value the fast parser skips;
// deeper values go to encoding/json (which allows 10,000 levels).
const maxSkipDepth = 64

// decodeFast decodes data into *s (which must be zero) and reports whether it held
// unknown fields. ok false means it gave up: *s is then in an undefined state.
func decodeFast(data []byte, s *ClusterService) (unknown, ok bool) {
	p := fastParser{data: data, str: string(data)}
	if !p.service(s) {
		return false, false
	}
	if !p.unknown {
		return false, true
	}
	*s = ClusterService{}
	p = fastParser{data: data, copy: true}
	return true, p.service(s)
}

func (p *fastParser) ws() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// eat consumes c after optional whitespace.
func (p *fastParser) eat(c byte) bool {
	p.ws()
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// next returns the next byte after whitespace without consuming it, 0 at the end.
func (p *fastParser) next() byte {
	p.ws()
	if p.i < len(p.data) {
		return p.data[p.i]
	}
	return 0
}

// rawString consumes a string without escapes, valid UTF-8, and returns the bounds of
// its contents.
func (p *fastParser) rawString() (start, end int, ok bool) {
	if p.next() != '"' {
		return 0, 0, false
	}
	p.i++
	start = p.i
	high := false
	for ; p.i < len(p.data); p.i++ {
		c := p.data[p.i]
		switch {
		case c == '"':
			end = p.i
			p.i++
			if high && !utf8.Valid(p.data[start:end]) {
				return 0, 0, false
			}
			return start, end, true
		case c == '\\' || c < 0x20:
			return 0, 0, false
		case c >= utf8.RuneSelf:
			high = true
		}
	}
	return 0, 0, false
}

func (p *fastParser) text(start, end int) string {
	if p.copy {
		return string(p.data[start:end])
	}
	return p.str[start:end]
}

func (p *fastParser) string() (string, bool) {
	start, end, ok := p.rawString()
	if !ok {
		return "", false
	}
	return p.text(start, end), true
}

// literal consumes lit (true, false or null).
func (p *fastParser) literal(lit string) bool {
	p.ws()
	if len(p.data)-p.i < len(lit) || string(p.data[p.i:p.i+len(lit)]) != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// key consumes an object key and the colon after it and returns the key's bounds.
func (p *fastParser) key() (start, end int, ok bool) {
	start, end, ok = p.rawString()
	return start, end, ok && p.eat(':')
}

// more consumes the comma or closing brace after a member and reports whether another
// member follows; ok false is a syntax error.
func (p *fastParser) more(closing byte) (more, ok bool) {
	p.ws()
	if p.i < len(p.data) {
		switch p.data[p.i] {
		case ',':
			p.i++
			return true, true
		case closing:
			p.i++
			return false, true
		}
	}
	return false, false
}

// object calls member for each member of an object (after its key), or does nothing for
// an empty object; the opening brace is already consumed.
func (p *fastParser) object(member func(start, end int) bool) bool {
	if p.next() == '}' {
		p.i++
		return true
	}
	for {
		start, end, ok := p.key()
		if !ok || !member(start, end) {
			return false
		}
		more, ok := p.more('}')
		if !ok || !more {
			return ok
		}
	}
}

// unknownField skips the value of a member whose key matches none of fields exactly. A
// key that matches one case-insensitively (which encoding/json takes for that field), or
// that is not ASCII (encoding/json folds some other runes too), makes the parser give up.
func (p *fastParser) unknownField(start, end int, fields ...string) bool {
	k := p.data[start:end]
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if asciiEqualFold(k, f) {
			return false
		}
	}
	p.unknown = true
	return p.skip(0)
}

// asciiEqualFold reports whether k and f are equal with ASCII letters folded.
func asciiEqualFold(k []byte, f string) bool {
	if len(k) != len(f) {
		return false
	}
	for i, c := range k {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		d := f[i]
		if 'a' <= d && d <= 'z' {
			d -= 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// bits names the fields of a struct seen so far, to give up on a field given twice.
type bits uint16

func (b *bits) set(bit bits) bool {
	if *b&bit != 0 {
		return false
	}
	*b |= bit
	return true
}

func (p *fastParser) service(s *ClusterService) bool {
	if !p.eat('{') {
		return false
	}
	var seen bits
	ok := p.object(func(start, end int) bool {
		switch string(p.data[start:end]) {
		case "cluster":
			return seen.set(1<<0) && p.stringField(&s.Cluster)
		case "namespace":
			return seen.set(1<<1) && p.stringField(&s.Namespace)
		case "name":
			return seen.set(1<<2) && p.stringField(&s.Name)
		case "frontends":
			return seen.set(1<<3) && p.portsMap(&s.Frontends)
		case "backends":
			return seen.set(1<<4) && p.portsMap(&s.Backends)
		case "hostnames":
			return seen.set(1<<5) && p.stringMap(&s.Hostnames)
		case "zones":
			return seen.set(1<<6) && p.zonesMap(&s.Zones)
		case "labels":
			return seen.set(1<<7) && p.stringMap(&s.Labels)
		case "selector":
			return seen.set(1<<8) && p.stringMap(&s.Selector)
		case "includeExternal":
			return seen.set(1<<9) && p.boolField(&s.IncludeExternal)
		case "shared":
			return seen.set(1<<10) && p.boolField(&s.Shared)
		case "clusterID":
			if !seen.set(1 << 11) {
				return false
			}
			if p.next() == 'n' {
				return p.literal("null")
			}
			n, ok := p.uint(1<<32 - 1)
			s.ClusterID = uint32(n)
			return ok
		}
		return p.unknownField(start, end, "cluster", "namespace", "name", "frontends", "backends",
			"hostnames", "zones", "labels", "selector", "includeExternal", "shared", "clusterID")
	})
	p.ws()
	return ok && p.i == len(p.data)
}

// stringField decodes a string, or null, which leaves *dst as it is (as encoding/json).
func (p *fastParser) stringField(dst *string) bool {
	switch p.next() {
	case '"':
		v, ok := p.string()
		*dst = v
		return ok
	case 'n':
		return p.literal("null")
	}
	return false
}

func (p *fastParser) boolField(dst *bool) bool {
	switch p.next() {
	case 't':
		*dst = true
		return p.literal("true")
	case 'f':
		*dst = false
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	return false
}

// uint decodes a JSON number that is an unsigned integer up to limit.
func (p *fastParser) uint(limit uint64) (uint64, bool) {
	p.ws()
	start := p.i
	var n uint64
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		n = n*10 + uint64(p.data[p.i]-'0')
		p.i++
		if n > limit {
			return 0, false
		}
	}
	switch {
	case p.i == start, p.i-start > 1 && p.data[start] == '0':
		return 0, false
	case p.i < len(p.data) && (p.data[p.i] == '.' || p.data[p.i] == 'e' || p.data[p.i] == 'E'):
		return 0, false
	}
	return n, true
}

// mapStart consumes the start of a map value: null (the map is set to nil, as
// encoding/json does) or an opening brace. isObject reports the latter.
func (p *fastParser) mapStart() (isObject, ok bool) {
	switch p.next() {
	case '{':
		p.i++
		return true, true
	case 'n':
		return false, p.literal("null")
	}
	return false, false
}

func (p *fastParser) stringMap(dst *map[string]string) bool {
	isObject, ok := p.mapStart()
	if !isObject {
		*dst = nil
		return ok
	}
	m := map[string]string{}
	*dst = m
	return p.object(func(start, end int) bool {
		v, ok := p.string()
		m[p.text(start, end)] = v
		return ok
	})
}

func (p *fastParser) portsMap(dst *map[string]PortConfiguration) bool {
	isObject, ok := p.mapStart()
	if !isObject {
		*dst = nil
		return ok
	}
	m := map[string]PortConfiguration{}
	*dst = m
	return p.object(func(start, end int) bool {
		var pc PortConfiguration
		if !p.portConfiguration(&pc) {
			return false
		}
		m[p.text(start, end)] = pc
		return true
	})
}

func (p *fastParser) portConfiguration(dst *PortConfiguration) bool {
	isObject, ok := p.mapStart()
	if !isObject {
		*dst = nil
		return ok
	}
	m := PortConfiguration{}
	*dst = m
	return p.object(func(start, end int) bool {
		name := p.text(start, end)
		if p.next() == 'n' {
			m[name] = nil
			return p.literal("null")
		}
		l4 := p.newL4Addr()
		m[name] = l4
		return p.l4Addr(l4)
	})
}

// newL4Addr returns a zero L4Addr from a small slab, so that the ports of one value take
// one allocation between them rather than one each.
func (p *fastParser) newL4Addr() *L4Addr {
	if len(p.slab) == 0 {
		p.slab = make([]L4Addr, 4)
	}
	a := &p.slab[0]
	p.slab = p.slab[1:]
	return a
}

func (p *fastParser) l4Addr(a *L4Addr) bool {
	if !p.eat('{') {
		return false
	}
	var seen bits
	return p.object(func(start, end int) bool {
		switch string(p.data[start:end]) {
		case "Protocol":
			return seen.set(1<<0) && p.stringField(&a.Protocol)
		case "Port":
			if !seen.set(1 << 1) {
				return false
			}
			if p.next() == 'n' {
				return p.literal("null")
			}
			n, ok := p.uint(1<<16 - 1)
			a.Port = uint16(n)
			return ok
		}
		return p.unknownField(start, end, "Protocol", "Port")
	})
}

func (p *fastParser) zonesMap(dst *map[string]BackendZone) bool {
	isObject, ok := p.mapStart()
	if !isObject {
		*dst = nil
		return ok
	}
	m := map[string]BackendZone{}
	*dst = m
	return p.object(func(start, end int) bool {
		var z BackendZone
		if !p.backendZone(&z) {
			return false
		}
		m[p.text(start, end)] = z
		return true
	})
}

func (p *fastParser) backendZone(z *BackendZone) bool {
	if !p.eat('{') {
		return false
	}
	var seen bits
	return p.object(func(start, end int) bool {
		switch string(p.data[start:end]) {
		case "zone":
			return seen.set(1<<0) && p.stringField(&z.Zone)
		case "forZones":
			return seen.set(1<<1) && p.forZones(&z.ForZones)
		}
		return p.unknownField(start, end, "zone", "forZones")
	})
}

// forZones decodes null (nil) or an array of ForZone objects; an empty array is an empty
// non-nil slice, as encoding/json makes it.
func (p *fastParser) forZones(dst *[]ForZone) bool {
	switch p.next() {
	case 'n':
		*dst = nil
		return p.literal("null")
	case '[':
		p.i++
	default:
		return false
	}
	out := []ForZone{}
	if p.next() == ']' {
		p.i++
		*dst = out
		return true
	}
	for {
		var f ForZone
		if !p.forZone(&f) {
			return false
		}
		out = append(out, f)
		more, ok := p.more(']')
		if !ok {
			return false
		}
		if !more {
			*dst = out
			return true
		}
	}
}

func (p *fastParser) forZone(f *ForZone) bool {
	if !p.eat('{') {
		return false
	}
	var seen bits
	return p.object(func(start, end int) bool {
		if string(p.data[start:end]) == "name" {
			return seen.set(1) && p.stringField(&f.Name)
		}
		return p.unknownField(start, end, "name")
	})
}
