package encryption_test

import (
	"errors"
	"testing"

	"github.com/ciliumkit/ciliumkit/encryption"
)

func TestWireGuardPodMTU(t *testing.T) {
	tests := []struct {
		name string
		c    encryption.MTUConfig
		want int
	}{
		{"zero value is ethernet native routing", encryption.MTUConfig{}, 1420},
		{"ethernet native ipv6 outer", encryption.MTUConfig{DeviceMTU: 1500, OuterIPv6: true}, 1420},
		{"ethernet vxlan ipv4", encryption.MTUConfig{DeviceMTU: 1500, Tunnel: encryption.TunnelVXLAN}, 1370},
		{"ethernet geneve ipv4", encryption.MTUConfig{DeviceMTU: 1500, Tunnel: encryption.TunnelGeneve}, 1370},
		{"ethernet vxlan ipv6 outer", encryption.MTUConfig{DeviceMTU: 1500, Tunnel: encryption.TunnelVXLAN, OuterIPv6: true}, 1350},
		{"jumbo geneve ipv6 outer", encryption.MTUConfig{DeviceMTU: 9001, Tunnel: encryption.TunnelGeneve, OuterIPv6: true}, 8851},
		{"explicit none", encryption.MTUConfig{DeviceMTU: 1460, Tunnel: encryption.TunnelNone}, 1380},
		{"ipv4 minimum exactly", encryption.MTUConfig{DeviceMTU: 656}, 576},
		{"ipv6 minimum exactly", encryption.MTUConfig{DeviceMTU: 1360, PodIPv6: true}, 1280},
		{"ipv6 pods through vxlan", encryption.MTUConfig{DeviceMTU: 1410, Tunnel: encryption.TunnelVXLAN, PodIPv6: true}, 1280},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encryption.WireGuardPodMTU(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("WireGuardPodMTU(%+v) = %d, want %d", tt.c, got, tt.want)
			}
		})
	}
}

func TestWireGuardPodMTUErrors(t *testing.T) {
	tests := []struct {
		name string
		c    encryption.MTUConfig
	}{
		{"negative device", encryption.MTUConfig{DeviceMTU: -1}},
		{"device too large", encryption.MTUConfig{DeviceMTU: encryption.MaxDeviceMTU + 1}},
		{"unknown tunnel", encryption.MTUConfig{Tunnel: "ipip"}},
		{"below ipv4 minimum", encryption.MTUConfig{DeviceMTU: 655}},
		{"below ipv4 minimum with tunnel", encryption.MTUConfig{DeviceMTU: 705, Tunnel: encryption.TunnelVXLAN}},
		{"below ipv6 minimum", encryption.MTUConfig{DeviceMTU: 1359, PodIPv6: true}},
		{"below ipv6 minimum with ipv6 tunnel", encryption.MTUConfig{DeviceMTU: 1429, Tunnel: encryption.TunnelGeneve, OuterIPv6: true, PodIPv6: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encryption.WireGuardPodMTU(tt.c)
			if !errors.Is(err, encryption.ErrMTU) {
				t.Fatalf("WireGuardPodMTU(%+v) = %d, %v; want ErrMTU", tt.c, got, err)
			}
		})
	}
}
