package clustermesh

import (
	"strings"
	"testing"
)

func TestDiffValues(t *testing.T) {
	old := map[string]any{
		"encryption": map[string]any{"enabled": true, "type": "wireguard"},
		"ipam":       map[string]any{"operator": map[string]any{"clusterPoolIPv4PodCIDRList": []any{"10.245.0.0/16"}}},
		"debug":      map[string]any{"enabled": true},
		"cluster":    map[string]any{"name": "tokyo", "id": float64(1)},
	}
	new := map[string]any{
		"encryption":  map[string]any{"enabled": true, "type": "wireguard"},
		"ipam":        map[string]any{"operator": map[string]any{"clusterPoolIPv4PodCIDRList": []any{"10.246.0.0/16"}}},
		"cluster":     map[string]any{"name": "tokyo", "id": 1},
		"clustermesh": map[string]any{"useAPIServer": true},
		"tls":         map[string]any{"ca": map[string]any{"cert": strings.Repeat("C", 100), "key": "PRIVATE"}},
		"operator":    map[string]any{"replicas": 1},
	}
	caller := map[string]any{"operator": map[string]any{"replicas": 1}}
	got := DiffValues(old, new, caller)
	want := []string{
		"clustermesh.useAPIServer: <unset> -> true (mesh)",
		"debug.enabled: true -> <unset> (none)",
		"ipam.operator.clusterPoolIPv4PodCIDRList: [10.245.0.0/16] -> [10.246.0.0/16] (none)",
		"operator.replicas: <unset> -> 1 (caller)",
		"tls.ca.cert: <unset> -> CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC…(100 bytes) (mesh)",
		"tls.ca.key: <unset> -> <redacted> (mesh)",
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
		if strings.Contains(c.String(), "PRIVATE") || c.New == "PRIVATE" {
			t.Errorf("secret value in %v", c)
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestMergePeers(t *testing.T) {
	deployed := map[string]any{"osaka": map[string]any{"address": "osaka.example.net", "port": 2379},
		"hk": map[string]any{"ips": []any{"10.0.0.1"}, "port": 32379, "tls": map[string]any{"cert": "x"}}}
	caller := []any{map[string]any{"name": "paris", "address": "paris.example.net", "port": 2379}, "garbage"}
	got := mergePeers([][]any{peerEntries(deployed, true), peerEntries(caller, true)},
		map[string]*Access{"hk": {Hostname: "hk.example.net", Port: 2379}})
	var names []string
	for _, e := range got {
		names = append(names, e.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "hk,osaka,paris" {
		t.Fatalf("names %v", names)
	}
	hk := got[0].(map[string]any)
	if hk["address"] != "hk.example.net" || hk["ips"] != nil || hk["tls"] == nil {
		t.Fatalf("hk entry %v: want the mesh's address, no ips, the earlier tls kept", hk)
	}
}
