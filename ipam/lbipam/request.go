package lbipam

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/cilium/cilium/pkg/annotation"
	ciliumv2alpha1 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2alpha1"
	slimlabels "github.com/cilium/cilium/pkg/k8s/slim/k8s/apis/labels"
	corev1 "k8s.io/api/core/v1"
)

// labelSelector matches a Service's label set; nil selects everything.
type labelSelector = slimlabels.Selector

// ShareAllNamespaces, as an entry of lbipam.cilium.io/sharing-cross-namespace, allows
// every namespace to share.
const ShareAllNamespaces = "*"

// Request is what a Service asks of LB IPAM, read from its spec and annotations.
type Request struct {
	// IPs are the specific addresses requested through lbipam.cilium.io/ips (or its
	// io.cilium/lb-ipam-ips alias, comma separated) and spec.loadBalancerIP, deduplicated
	// and sorted. Empty means "any address of each requested family".
	IPs []netip.Addr
	// IPv4 and IPv6 say which families a request without IPs wants, from
	// spec.ipFamilyPolicy and spec.ipFamilies (IPv4 alone when both are empty).
	IPv4, IPv6 bool
	// SharingKey is lbipam.cilium.io/sharing-key (or io.cilium/lb-ipam-sharing-key); empty
	// means the Service never shares an IP.
	SharingKey string
	// SharingNamespaces are the other namespaces allowed to share, from
	// lbipam.cilium.io/sharing-cross-namespace; ShareAllNamespaces allows all.
	SharingNamespaces []string
}

// Manages reports whether LB IPAM assigns addresses to svc: a LoadBalancer Service with
// no loadBalancerClass, or class io.cilium/l2-announcer or io.cilium/bgp-control-plane.
// Other classes belong to other controllers.
func Manages(svc *corev1.Service) bool {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return false
	}
	c := svc.Spec.LoadBalancerClass
	return c == nil || *c == ciliumv2alpha1.L2AnnounceLoadBalancerClass || *c == ciliumv2alpha1.BGPLoadBalancerClass
}

// annotationValue returns the value of key, or of its alias when key is absent.
func annotationValue(svc *corev1.Service, key, alias string) (string, string) {
	if v, ok := svc.Annotations[key]; ok {
		return key, v
	}
	if v, ok := svc.Annotations[alias]; ok {
		return alias, v
	}
	return key, ""
}

// ParseRequest reads svc's LB IPAM request. It returns every unparsable value joined,
// each wrapping ErrInvalidRequest and naming the Service, the key and the value; the
// request then holds the parts that did parse.
func ParseRequest(svc *corev1.Service) (Request, error) {
	var req Request
	var errs []error
	bad := func(key, val string, err error) {
		errs = append(errs, fmt.Errorf("service %s/%s: %s=%q: %w: %v", svc.Namespace, svc.Name, key, val, ErrInvalidRequest, err))
	}
	if v := svc.Spec.LoadBalancerIP; v != "" {
		if ip, err := parseAddr(v); err != nil {
			bad("spec.loadBalancerIP", v, err)
		} else {
			req.IPs = append(req.IPs, ip)
		}
	}
	if key, v := annotationValue(svc, annotation.LBIPAMIPsKey, annotation.LBIPAMIPKeyAlias); v != "" {
		for f := range strings.SplitSeq(v, ",") {
			if ip, err := parseAddr(strings.TrimSpace(f)); err != nil {
				bad(key, v, err)
			} else {
				req.IPs = append(req.IPs, ip)
			}
		}
	}
	slices.SortFunc(req.IPs, netip.Addr.Compare)
	req.IPs = slices.Compact(req.IPs)
	_, req.SharingKey = annotationValue(svc, annotation.LBIPAMSharingKey, annotation.LBIPAMSharingKeyAlias)
	if key, v := annotationValue(svc, annotation.LBIPAMSharingAcrossNamespace, annotation.LBIPAMSharingAcrossNamespaceAlias); v != "" {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f == "" {
				bad(key, v, errors.New("empty namespace"))
				continue
			}
			req.SharingNamespaces = append(req.SharingNamespaces, f)
		}
	}
	req.IPv4, req.IPv6 = families(svc)
	return req, errors.Join(errs...)
}

// families derives the requested families: SingleStack takes the first listed family,
// the dual-stack policies take every listed family (both when none is listed); without a
// policy the listed families count, and IPv4 when none is listed.
func families(svc *corev1.Service) (v4, v6 bool) {
	fams := svc.Spec.IPFamilies
	if p := svc.Spec.IPFamilyPolicy; p != nil && *p == corev1.IPFamilyPolicySingleStack && len(fams) > 1 {
		fams = fams[:1]
	}
	for _, f := range fams {
		switch f {
		case corev1.IPv4Protocol:
			v4 = true
		case corev1.IPv6Protocol:
			v6 = true
		}
	}
	if !v4 && !v6 {
		p := svc.Spec.IPFamilyPolicy
		if p != nil && *p != corev1.IPFamilyPolicySingleStack {
			return true, true
		}
		return true, false
	}
	return v4, v6
}
