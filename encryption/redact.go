package encryption

import (
	"encoding/json"
	"log/slog"
)

// LogValue makes slog handlers (text and JSON) log k as String does: the SPI, the
// algorithm, the key length and the ICV length, never the key.
func (k IPsecKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText returns String: text encoders never see the key. Use Line for the secret.
func (k IPsecKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// MarshalJSON writes k without the key:
// {"spi":3,"perTunnel":true,"keyBytes":20,"icvBits":128,"key":"redacted"}. There is no
// UnmarshalJSON: a key travels as Line (in the cilium-ipsec-keys Secret), never as JSON.
func (k IPsecKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		SPI       uint8  `json:"spi"`
		PerTunnel bool   `json:"perTunnel"`
		KeyBytes  int    `json:"keyBytes"`
		ICVBits   int    `json:"icvBits"`
		Key       string `json:"key"`
	}{k.SPI, k.PerTunnel, len(k.Key), k.ICVBits, "redacted"})
}

// LogValue makes slog handlers log the public key only.
func (k KeyPair) LogValue() slog.Value {
	return slog.GroupValue(slog.String("public", k.Public.String()), slog.String("private", "redacted"))
}

// MarshalText returns String: text encoders never see the private key.
func (k KeyPair) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// MarshalJSON writes the public key only: {"public":"<base64>","private":"redacted"}.
func (k KeyPair) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"public": k.Public.String(), "private": "redacted"})
}
