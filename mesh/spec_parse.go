package mesh

import (
	"fmt"
	"reflect"

	"sigs.k8s.io/yaml"
)

// ParseSpec parses a spec document in YAML or JSON (the meshplan -f file). Parsing is
// strict, and every error wraps ErrInvalidSpec:
//
//   - input over MaxSpecSize bytes is refused before it is parsed;
//   - the file holds one YAML document (an empty one after it, a lone "---", is allowed);
//   - unknown fields, field names in another case ("Name:" for "name"), duplicate keys
//     and keys of one mapping that differ only in case are errors that name the line,
//     the column and the key, all of them at once (at most MaxReportedProblems);
//   - values of the wrong type are errors that name the field.
//
// Keys and values quoted in errors are cut after MaxQuotedNameLen bytes, so an error's
// size does not grow with the input. ParseSpec does not validate the mesh; NewPlan does.
func ParseSpec(data []byte) (Spec, error) {
	if err := checkDocument(data, reflect.TypeFor[Spec](), ErrInvalidSpec); err != nil {
		return Spec{}, err
	}
	var s Spec
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return Spec{}, fmt.Errorf("%w: %s", ErrInvalidSpec, clip(err.Error()))
	}
	return s, nil
}
