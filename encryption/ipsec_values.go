package encryption

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// IPsec defaults of the Cilium chart.
const (
	// DefaultIPsecSecretName is the Secret Cilium mounts (Helm encryption.ipsec.secretName).
	DefaultIPsecSecretName = "cilium-ipsec-keys"
	// DefaultIPsecKeyFile is the Secret key holding the key line (Helm
	// encryption.ipsec.keyFile).
	DefaultIPsecKeyFile = "keys"
)

// IPsecOptions name the Secret that holds the IPsec key. The zero value means
// DefaultIPsecSecretName and DefaultIPsecKeyFile, the chart's defaults.
type IPsecOptions struct {
	// SecretName is the Secret name, a DNS-1123 subdomain; default DefaultIPsecSecretName.
	SecretName string
	// KeyFile is the Secret data key (and mounted file name); default DefaultIPsecKeyFile.
	KeyFile string
}

func (o *IPsecOptions) withDefaults() (IPsecOptions, error) {
	out := IPsecOptions{SecretName: DefaultIPsecSecretName, KeyFile: DefaultIPsecKeyFile}
	if o != nil && o.SecretName != "" {
		out.SecretName = o.SecretName
	}
	if o != nil && o.KeyFile != "" {
		out.KeyFile = o.KeyFile
	}
	if errs := validation.IsDNS1123Subdomain(out.SecretName); len(errs) > 0 {
		return out, fmt.Errorf("%w: secret name %q: %s", ErrSecretName, out.SecretName, strings.Join(errs, "; "))
	}
	if errs := validation.IsConfigMapKey(out.KeyFile); len(errs) > 0 {
		return out, fmt.Errorf("%w: key file %q: %s", ErrSecretName, out.KeyFile, strings.Join(errs, "; "))
	}
	return out, nil
}

// IPsecValues returns the Helm values that turn on IPsec transparent encryption:
// encryption.enabled=true, encryption.type=ipsec, encryption.ipsec.secretName and
// encryption.ipsec.keyFile. o may be nil; it fails with ErrSecretName for a name the API
// server would refuse. Apply the Secret itself with IPsecSecret and the same options.
func IPsecValues(o *IPsecOptions) (map[string]any, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return map[string]any{"encryption": map[string]any{
		"enabled": true,
		"type":    "ipsec",
		"ipsec": map[string]any{
			"secretName": opts.SecretName,
			"keyFile":    opts.KeyFile,
		},
	}}, nil
}
