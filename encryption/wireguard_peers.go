package encryption

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/cilium/cilium/pkg/annotation"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	"github.com/cilium/cilium/pkg/node/addressing"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"
)

// ListenPort is the UDP port Cilium's WireGuard device (cilium_wg0) listens on.
const ListenPort = 51871

// Peer is one remote node as a WireGuard peer of the local node.
type Peer struct {
	// Node is the CiliumNode name.
	Node string
	// PublicKey is the node's WireGuard public key.
	PublicKey wgtypes.Key
	// Endpoint is the node's first InternalIP with port ListenPort.
	Endpoint netip.AddrPort
	// AllowedIPs are the node's pod CIDRs followed by a host prefix (/32 or /128) for each
	// of its InternalIPs, in CiliumNode order.
	AllowedIPs []netip.Prefix
}

// Config returns p as a wgctrl peer configuration that replaces the peer's allowed IPs.
func (p Peer) Config() wgtypes.PeerConfig {
	allowed := make([]net.IPNet, 0, len(p.AllowedIPs))
	for _, pfx := range p.AllowedIPs {
		allowed = append(allowed, prefixToIPNet(pfx))
	}
	return wgtypes.PeerConfig{
		PublicKey:         p.PublicKey,
		Endpoint:          udpAddr(p.Endpoint),
		ReplaceAllowedIPs: true,
		AllowedIPs:        allowed,
	}
}

// NodePublicKey returns the WireGuard public key a CiliumNode publishes in the
// network.cilium.io/wg-pub-key annotation (or its legacy alias). ok is false when neither
// annotation is set, which Cilium treats as "no WireGuard peer yet". A present but
// malformed value is an ErrPublicKey error naming the node and the value.
func NodePublicKey(n *ciliumv2.CiliumNode) (key wgtypes.Key, ok bool, err error) {
	v, ok := annotation.Get(n, annotation.WireguardPubKey, annotation.WireguardPubKeyAlias)
	if !ok {
		return wgtypes.Key{}, false, nil
	}
	key, err = ParsePublicKey(v)
	if err != nil {
		return wgtypes.Key{}, true, fmt.Errorf("node %q: annotation %s: %w", n.Name, annotation.WireguardPubKey, err)
	}
	return key, true, nil
}

// Peers returns the WireGuard peers the node named self configures for nodes, sorted by
// node name. It skips self and nodes without a public key annotation (as Cilium does).
// Every problem — a malformed key, a key shared by two nodes, a node without an
// InternalIP, an InternalIP or pod CIDR that does not parse — is reported, joined, with
// the node name and the value; the peers of the nodes without problems are returned
// alongside. Only InternalIP addresses are read; other address types are ignored.
func Peers(self string, nodes []ciliumv2.CiliumNode) ([]Peer, error) {
	var (
		peers []Peer
		errs  []error
		owner = map[wgtypes.Key]string{}
	)
	for i := range nodes {
		n := &nodes[i]
		if n.Name == self {
			continue
		}
		p, ok, err := nodePeer(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		if prev, dup := owner[p.PublicKey]; dup {
			errs = append(errs, fmt.Errorf("node %q: %w: %s is already the key of node %q", n.Name, ErrPublicKey, p.PublicKey, prev))
			continue
		}
		owner[p.PublicKey] = n.Name
		peers = append(peers, p)
	}
	slices.SortFunc(peers, func(a, b Peer) int { return cmp.Compare(a.Node, b.Node) })
	return peers, errors.Join(errs...)
}

// nodePeer builds the peer of one node; ok is false when the node has no key annotation,
// in which case nothing else about the node is checked.
func nodePeer(n *ciliumv2.CiliumNode) (Peer, bool, error) {
	key, ok, err := NodePublicKey(n)
	if !ok {
		return Peer{}, false, nil
	}
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	var hosts []netip.Prefix
	internal := 0
	for _, a := range n.Spec.Addresses {
		if a.Type != addressing.NodeInternalIP {
			continue
		}
		internal++
		ip, err := netip.ParseAddr(a.IP)
		if err != nil || ip.Zone() != "" {
			errs = append(errs, fmt.Errorf("node %q: %w: InternalIP %q does not parse", n.Name, ErrNodeAddress, a.IP))
			continue
		}
		ip = ip.Unmap()
		hosts = append(hosts, netip.PrefixFrom(ip, ip.BitLen()))
	}
	if internal == 0 {
		errs = append(errs, fmt.Errorf("node %q: %w: no InternalIP in spec.addresses", n.Name, ErrNodeAddress))
	}
	var allowed []netip.Prefix
	for _, s := range n.Spec.IPAM.PodCIDRs {
		pfx, err := netip.ParsePrefix(s)
		if err != nil || pfx != pfx.Masked() {
			errs = append(errs, fmt.Errorf("node %q: %w: spec.ipam.podCIDRs entry %q is not a masked prefix", n.Name, ErrPodCIDR, s))
			continue
		}
		allowed = append(allowed, pfx)
	}
	if len(errs) > 0 {
		return Peer{}, false, errors.Join(errs...)
	}
	return Peer{
		Node:       n.Name,
		PublicKey:  key,
		Endpoint:   netip.AddrPortFrom(hosts[0].Addr(), ListenPort),
		AllowedIPs: append(allowed, hosts...),
	}, true, nil
}
