package kvstore

import (
	"encoding/json"
	"testing"
)

// BenchmarkDecodeClusterService decodes one exported service (one frontend, two backend
// ports, a label) with plain json.Unmarshal (what Cilium's readers do, without checks),
// with DecodeClusterService on encoding/json alone (the reference: strict decoder, then
// json.Unmarshal again when a field is unknown) and with DecodeClusterService (the fast
// parser), for a value as written and one with an unknown field.
func BenchmarkDecodeClusterService(b *testing.B) {
	plain, err := json.Marshal(service(tokyo, 1, 1))
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(plain, &m)
	m["newField"] = map[string]any{"x": []int{1, 2}}
	unknown, _ := json.Marshal(m)
	key := ServiceKey("tokyo", "ns-1", "svc-1")
	for _, v := range []struct {
		name string
		data []byte
	}{{"known", plain}, {"unknown-field", unknown}} {
		b.Run(v.name+"/json.Unmarshal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var s ClusterService
				if err := json.Unmarshal(v.data, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, fast := range []bool{false, true} {
			name := "reference"
			if fast {
				name = "fast"
			}
			b.Run(v.name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := decodeService("tokyo", key, v.data, DecodeOptions{}, fast); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
