package encryption_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ciliumkit/ciliumkit/encryption"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestWireGuardValuesRenderThroughChart(t *testing.T) {
	tests := []struct {
		name string
		opts *encryption.WireGuardOptions
		want map[string]string // "" means the key must be absent
	}{
		{"defaults", nil, map[string]string{
			"enable-wireguard":               "true",
			"wireguard-persistent-keepalive": "0s",
			"encrypt-node":                   "",
			"enable-ipsec":                   "",
		}},
		{"node encryption and keepalive", &encryption.WireGuardOptions{NodeEncryption: true, PersistentKeepalive: 25 * time.Second}, map[string]string{
			"enable-wireguard":               "true",
			"wireguard-persistent-keepalive": "25s",
			"encrypt-node":                   "true",
			"enable-ipsec":                   "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := encryption.WireGuardValues(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, config := testenv.RenderCilium(t, vals)
			for k, want := range tt.want {
				got, ok := config[k]
				if want == "" {
					if ok {
						t.Errorf("cilium-config %s = %q, want absent", k, got)
					}
					continue
				}
				if got != want {
					t.Errorf("cilium-config %s = %q (present %v), want %q", k, got, ok, want)
				}
			}
		})
	}
}

func TestWireGuardValuesRejectsKeepalive(t *testing.T) {
	for _, ka := range []time.Duration{-time.Second, 1500 * time.Millisecond, encryption.MaxPersistentKeepalive + time.Second} {
		if _, err := encryption.WireGuardValues(&encryption.WireGuardOptions{PersistentKeepalive: ka}); !errors.Is(err, encryption.ErrKeepalive) {
			t.Errorf("keepalive %s: err = %v, want ErrKeepalive", ka, err)
		}
	}
	if _, err := encryption.WireGuardValues(&encryption.WireGuardOptions{PersistentKeepalive: encryption.MaxPersistentKeepalive}); err != nil {
		t.Errorf("keepalive %s: %v", encryption.MaxPersistentKeepalive, err)
	}
}
