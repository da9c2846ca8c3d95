package encryption

import (
	"fmt"
	"strconv"
	"time"
)

// MaxPersistentKeepalive is the largest WireGuard persistent keepalive interval: the
// protocol carries it as a 16-bit number of seconds.
const MaxPersistentKeepalive = 65535 * time.Second

// WireGuardOptions are the optional WireGuard settings. The zero value means: pod-to-pod
// traffic only (no node-to-node encryption) and no persistent keepalive.
type WireGuardOptions struct {
	// NodeEncryption also encrypts pure node-to-node traffic (Helm
	// encryption.nodeEncryption, cilium-config encrypt-node). Default false.
	NodeEncryption bool
	// PersistentKeepalive is the interval at which each node sends a keepalive to every
	// peer, which keeps NAT and firewall state open (Helm
	// encryption.wireguard.persistentKeepalive). Whole seconds, 0 to
	// MaxPersistentKeepalive; 0, the default, disables keepalives.
	PersistentKeepalive time.Duration
}

// WireGuardValues returns the Helm values that turn on WireGuard transparent encryption:
// encryption.enabled=true, encryption.type=wireguard, encryption.nodeEncryption and
// encryption.wireguard.persistentKeepalive (a duration string such as "25s"). Merge them
// with the rest of the release values. o may be nil. It fails with ErrKeepalive for a
// keepalive that is negative, above MaxPersistentKeepalive or not whole seconds.
func WireGuardValues(o *WireGuardOptions) (map[string]any, error) {
	var opts WireGuardOptions
	if o != nil {
		opts = *o
	}
	ka := opts.PersistentKeepalive
	if ka < 0 || ka > MaxPersistentKeepalive || ka%time.Second != 0 {
		return nil, fmt.Errorf("%w: %s; want whole seconds from 0s to %s", ErrKeepalive, ka, MaxPersistentKeepalive)
	}
	return map[string]any{"encryption": map[string]any{
		"enabled":        true,
		"type":           "wireguard",
		"nodeEncryption": opts.NodeEncryption,
		"wireguard": map[string]any{
			"persistentKeepalive": strconv.FormatInt(int64(ka/time.Second), 10) + "s",
		},
	}}, nil
}
