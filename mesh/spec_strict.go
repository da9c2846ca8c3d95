package mesh

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// MaxSpecSize is the largest spec or plan document ParseSpec and ParsePlan read, in bytes
// (1 MiB). A larger one is refused before it is parsed. A spec of 511 dual-stack clusters
// with a few node ranges each is about 100 KiB.
const MaxSpecSize = 1 << 20

// checkDocument checks what sigs.k8s.io/yaml lets through before data is decoded into a
// value of type t: it refuses a document over MaxSpecSize, a second YAML document, keys
// of one mapping that are equal or differ only in case (encoding/json matches field names
// case-insensitively, so they would silently override each other), and keys that are not
// a field of t, case variants included. Each problem names its line and column, wraps
// sentinel, and at most MaxReportedProblems are reported.
func checkDocument(data []byte, t reflect.Type, sentinel error) error {
	if len(data) > MaxSpecSize {
		return fmt.Errorf("%w: document larger than %d bytes (MaxSpecSize)", sentinel, MaxSpecSize)
	}
	c := docChecker{sentinel: sentinel}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	switch err := dec.Decode(&root); {
	case errors.Is(err, io.EOF):
		return nil // empty: decoded as the zero value
	case err != nil:
		return fmt.Errorf("%w: %s", sentinel, clip(err.Error()))
	}
	c.walk(&root, t)
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c.errs.addf("%w: %s", sentinel, clip(err.Error()))
			break
		}
		if !emptyDocument(&n) {
			c.errorf(&n, "a second YAML document; the file must hold one")
			break
		}
	}
	return c.errs.err()
}

// emptyDocument reports whether a document has no content ("---" alone).
func emptyDocument(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return true
	}
	v := n.Content[0]
	return len(n.Content) == 1 && v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == ""
}

type docChecker struct {
	sentinel error
	errs     problems
}

func (c *docChecker) errorf(n *yaml.Node, format string, args ...any) {
	c.errs.addf("%w: line %d column %d: "+format, append([]any{c.sentinel, n.Line, n.Column}, args...)...)
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// walk checks node n that decodes into a value of type t (nil: unknown, only the keys
// of its mappings are checked for duplicates).
func (c *docChecker) walk(n *yaml.Node, t reflect.Type) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler)) {
		t = nil // decoded from a scalar by its own method
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, m := range n.Content {
			c.walk(m, t)
		}
	case yaml.SequenceNode:
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for _, m := range n.Content {
			c.walk(m, elem)
		}
	case yaml.MappingNode:
		if t != nil && t.Kind() == reflect.Struct {
			c.structMapping(n, t)
			return
		}
		var elem reflect.Type
		if t != nil && t.Kind() == reflect.Map {
			elem = t.Elem()
		}
		seen := make(map[string]*yaml.Node, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if first, dup := seen[k.Value]; dup && k.Kind == yaml.ScalarNode {
				c.errorf(k, "duplicate key %s (first at line %d)", quote(k.Value), first.Line)
			} else if k.Kind == yaml.ScalarNode {
				seen[k.Value] = k
			}
			c.walk(n.Content[i+1], elem)
		}
	}
	// Aliases are checked where their anchor is defined.
}

// field is a JSON field of a struct.
type field struct {
	name string
	typ  reflect.Type
}

// jsonFields returns the fields encoding/json decodes into t, by folded name.
func jsonFields(t reflect.Type) map[string]field {
	out := map[string]field{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, ok := out[fold(name)]; !ok {
				out[fold(name)] = field{name, f.Type}
			}
		}
	}
	add(t)
	return out
}

// fold maps names that encoding/json treats as equal to one string (its own folding).
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return string(b)
}

// structMapping checks the keys of mapping n that decodes into struct t, including the
// keys a merge key (<<) brings in, and walks the values.
func (c *docChecker) structMapping(n *yaml.Node, t reflect.Type) {
	fields := jsonFields(t)
	seen := make(map[string]*yaml.Node, len(n.Content)/2) // folded key -> first key node
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if c.key(k, seen, fields, false) {
			c.walk(v, fields[fold(k.Value)].typ)
		}
	}
	// Merged keys: equal to a key already present, they are overridden; a case variant
	// of one is an error. Their values are walked where they are defined.
	for _, m := range merges {
		maps := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			maps = m.Content
		}
		for _, mm := range maps {
			alias := mm.Kind == yaml.AliasNode
			if alias && mm.Alias != nil {
				mm = mm.Alias
			}
			if mm.Kind != yaml.MappingNode {
				continue // the decoder refuses it
			}
			for i := 0; i+1 < len(mm.Content); i += 2 {
				k := mm.Content[i]
				if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
					c.errorf(k, "a merge key (<<) inside a merged mapping is not supported")
					continue
				}
				if c.key(k, seen, fields, true) && !alias {
					c.walk(mm.Content[i+1], fields[fold(k.Value)].typ)
				}
			}
		}
	}
}

// key checks one key of a struct mapping against the keys seen so far and the fields,
// and reports whether its value belongs to a field. A merged key equal to one seen is
// overridden, not a duplicate.
func (c *docChecker) key(k *yaml.Node, seen map[string]*yaml.Node, fields map[string]field, merged bool) bool {
	if k.Kind != yaml.ScalarNode {
		c.errorf(k, "a key that is not a string")
		return false
	}
	fk := fold(k.Value)
	if first, dup := seen[fk]; dup {
		switch {
		case first.Value == k.Value && merged:
			return false
		case first.Value == k.Value:
			c.errorf(k, "duplicate key %s (first at line %d)", quote(k.Value), first.Line)
		default:
			c.errorf(k, "key %s differs only in case from key %s at line %d", quote(k.Value), quote(first.Value), first.Line)
		}
		return false
	}
	seen[fk] = k
	f, ok := fields[fk]
	switch {
	case !ok:
		c.errorf(k, "unknown field %s", quote(k.Value))
		return false
	case f.name != k.Value:
		c.errorf(k, "unknown field %s (the field is %s)", quote(k.Value), quote(f.name))
		return false
	}
	return true
}
