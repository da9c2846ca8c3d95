package lbipam

import (
	"maps"
	"net/netip"
	"slices"

	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/l2"
)

// serviceState is the allocator's view of one managed Service. It is kept small (and
// allocated in batches): a bulk assignment holds one per Service.
type serviceState struct {
	key serviceKey
	// own is the Service's own label set; labels adds the namespace and name labels.
	own      map[string]string
	req      Request
	reqErr   error
	ports    []servicePort
	local    bool // externalTrafficPolicy Local
	selector map[string]string
	// ips are the held addresses, IPv4 first, then by address (netip.Addr.Compare).
	ips []netip.Addr
	// ipBuf and portBuf back ips and ports at first, so that a Service with one or two
	// of each needs no further allocation.
	ipBuf   [2]netip.Addr
	portBuf [2]servicePort
}

// labels returns the label set pool selectors match against.
func (s *serviceState) labels() serviceLabels {
	return serviceLabels{own: s.own, namespace: s.key.namespace, name: s.key.name}
}

// servicePort is a port and protocol pair; proto numbers protocols (protoNumber).
type servicePort struct {
	port  int32
	proto uint16
}

// protoNumber numbers a Service port protocol: TCP (also the empty default) 1, UDP 2,
// SCTP 3. The API server admits no other value; any other is 0, so that two unknown
// protocols on one port count as the same and never share an address.
func protoNumber(p corev1.Protocol) uint16 {
	switch p {
	case corev1.ProtocolTCP, "":
		return 1
	case corev1.ProtocolUDP:
		return 2
	case corev1.ProtocolSCTP:
		return 3
	}
	return 0
}

// update refreshes the view from svc.
func (s *serviceState) update(svc *corev1.Service) {
	s.own = svc.Labels
	s.req, s.reqErr = ParseRequest(svc)
	s.ports = s.ports[:0]
	for _, p := range svc.Spec.Ports {
		s.ports = append(s.ports, servicePort{p.Port, protoNumber(p.Protocol)})
	}
	s.local = svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	s.selector = svc.Spec.Selector
}

func (s *serviceState) holds(ip netip.Addr) bool {
	_, ok := slices.BinarySearchFunc(s.ips, ip, netip.Addr.Compare)
	return ok
}

func (s *serviceState) addIP(ip netip.Addr) {
	if i, ok := slices.BinarySearchFunc(s.ips, ip, netip.Addr.Compare); !ok {
		s.ips = slices.Insert(s.ips, i, ip)
	}
}

func (s *serviceState) removeIP(ip netip.Addr) {
	if i, ok := slices.BinarySearchFunc(s.ips, ip, netip.Addr.Compare); ok {
		s.ips = slices.Delete(s.ips, i, i+1)
	}
}

func (s *serviceState) hasFamily(v6 bool) bool {
	for _, ip := range s.ips {
		if ip.Is6() == v6 {
			return true
		}
	}
	return false
}

// compatible reports whether x and y may share an address, and if not, why: both carry
// the same non-empty sharing key, their namespaces are equal or each allows the other's,
// no port and protocol pair is used by both, they have the same externalTrafficPolicy, and
// with policy Local they select the same, non-empty set of pods.
func compatible(x, y *serviceState) (bool, string) {
	if x.req.SharingKey == "" || x.req.SharingKey != y.req.SharingKey {
		return false, "different sharing key"
	}
	if x.key.namespace != y.key.namespace &&
		(!allowsNamespace(x.req.SharingNamespaces, y.key.namespace) || !allowsNamespace(y.req.SharingNamespaces, x.key.namespace)) {
		return false, "different and not permitted namespace"
	}
	for _, p := range x.ports {
		if slices.Contains(y.ports, p) {
			return false, "same port and protocol"
		}
	}
	if x.local != y.local {
		return false, "different externalTrafficPolicy"
	}
	if x.local &&
		(len(x.selector) == 0 || !maps.Equal(x.selector, y.selector)) {
		return false, "externalTrafficPolicy Local with different pod selectors"
	}
	return true, ""
}

func allowsNamespace(allowed []string, ns string) bool {
	return slices.Contains(allowed, ns) || slices.Contains(allowed, ShareAllNamespaces)
}

// serviceLabels is a Service's label set for selector matching: its own labels plus
// l2.ServiceNamespaceLabel and l2.ServiceNameLabel (the labels Cilium adds for LB IPAM
// and L2 announcements alike), without copying them.
type serviceLabels struct {
	own             map[string]string
	namespace, name string
}

var _ slimlabels.Labels = serviceLabels{}

// Lookup returns the value of label and whether it is set.
func (l serviceLabels) Lookup(label string) (string, bool) {
	switch label {
	case l2.ServiceNamespaceLabel:
		return l.namespace, true
	case l2.ServiceNameLabel:
		return l.name, true
	}
	v, ok := l.own[label]
	return v, ok
}

// Has reports whether label is set.
func (l serviceLabels) Has(label string) bool { _, ok := l.Lookup(label); return ok }

// Get returns the value of label, or "".
func (l serviceLabels) Get(label string) string { v, _ := l.Lookup(label); return v }
