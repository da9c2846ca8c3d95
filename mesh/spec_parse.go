package mesh

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// ParseSpec parses a spec document in YAML or JSON (the meshplan -f file). Parsing is
// strict: unknown fields, duplicate keys and values of the wrong type are errors that name
// the field; the error wraps ErrInvalidSpec. ParseSpec does not validate the mesh; NewPlan
// does.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return Spec{}, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	return s, nil
}
