package encryption

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// IPsecSecret returns the Secret Cilium reads its IPsec key from, as a server-side apply
// configuration: Opaque, in namespace (Cilium's own, usually kube-system), named
// o.SecretName with data key o.KeyFile holding k.Line(). o may be nil (chart defaults).
// It fails with ErrSecretName, ErrSPI or ErrIPsecKey; errors never contain the key.
func IPsecSecret(namespace string, k IPsecKey, o *IPsecOptions) (*corev1ac.SecretApplyConfiguration, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
		return nil, fmt.Errorf("%w: secret %q: namespace %q: %s", ErrSecretName, opts.SecretName, namespace, strings.Join(errs, "; "))
	}
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("secret %s/%s: %w", namespace, opts.SecretName, err)
	}
	return corev1ac.Secret(opts.SecretName, namespace).
		WithType(corev1.SecretTypeOpaque).
		WithData(map[string][]byte{opts.KeyFile: []byte(k.Line())}), nil
}
