package encryption

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSecretsNeverPrinted walks every exported type that holds key material through fmt
// (every verb), encoding/json (as a value, a pointer and a field) and both slog handlers
// (as a value and inside a group), and fails if the secret shows up in any form.
func TestSecretsNeverPrinted(t *testing.T) {
	ipsec, err := GenerateIPsecKey(3, 32)
	if err != nil {
		t.Fatal(err)
	}
	wg, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		v       any
		secrets []string // every encoding of the secret that must not appear
	}{
		{"IPsecKey", ipsec, []string{hex.EncodeToString(ipsec.Key), fmt.Sprint(ipsec.Key), string(mustJSON(ipsec.Key))}},
		{"KeyPair", wg, []string{wg.Private.String(), hex.EncodeToString(wg.Private[:]), fmt.Sprint(wg.Private[:])}},
	}
	for _, c := range cases {
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			outs = append(outs, fmt.Sprintf(verb, c.v), fmt.Sprintf(verb, &c.v))
		}
		for _, v := range []any{c.v, &c.v, struct{ Field any }{c.v}, []any{c.v}, map[string]any{"k": c.v}} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: json: %v", c.name, err)
			}
			outs = append(outs, string(b))
		}
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			log := slog.New(h(&buf))
			log.Info("key", "value", c.v, "pointer", &c.v, slog.Group("g", "nested", c.v))
			outs = append(outs, buf.String())
		}
		for _, out := range outs {
			for _, s := range c.secrets {
				if s != "" && strings.Contains(out, s) {
					t.Errorf("%s: secret in %q", c.name, out)
				}
			}
		}
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return bytes.Trim(b, `"`)
}
