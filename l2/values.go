package l2

import "fmt"

// ValuesOptions are the optional inputs of HelmValues. Nil means the defaults.
type ValuesOptions struct {
	// Services is the number of Services the cluster will announce; it sizes
	// k8sClientRateLimit (see Calculate). Default 0: the base rate only.
	Services int
	// ExternalIPs also sets externalIPs.enabled, which charts up to 1.18 need for
	// announcing spec.externalIPs; chart 1.19 has no such value (kube-proxy replacement
	// handles external IPs) and ignores it. Default false.
	ExternalIPs bool
	// Estimate passes the base client rate limits to Calculate; nil means the defaults.
	Estimate *EstimateOptions
}

// HelmValues returns the Cilium chart values that turn on L2 announcements with timing t:
// l2announcements.enabled and the three lease timings (as Go duration strings),
// kubeProxyReplacement "true" (L2 announcements require it; the platform must also set
// k8sServiceHost and k8sServicePort), k8sClientRateLimit.qps and .burst from Calculate,
// and, when asked, externalIPs.enabled. Merge them into the platform's own values.
func HelmValues(t Timing, opts *ValuesOptions) (map[string]any, error) {
	if opts == nil {
		opts = &ValuesOptions{}
	}
	est, err := Calculate(t, opts.Services, opts.Estimate)
	if err != nil {
		return nil, fmt.Errorf("helm values: %w", err)
	}
	vals := map[string]any{
		"l2announcements": map[string]any{
			"enabled":            true,
			"leaseDuration":      t.LeaseDuration.String(),
			"leaseRenewDeadline": t.RenewDeadline.String(),
			"leaseRetryPeriod":   t.RetryPeriod.String(),
		},
		"kubeProxyReplacement": "true",
		"k8sClientRateLimit": map[string]any{
			"qps":   est.ClientQPS,
			"burst": est.ClientBurst,
		},
	}
	if opts.ExternalIPs {
		vals["externalIPs"] = map[string]any{"enabled": true}
	}
	return vals, nil
}
