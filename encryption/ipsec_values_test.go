package encryption_test

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/encryption"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestIPsecValuesRenderThroughChart(t *testing.T) {
	tests := []struct {
		name            string
		opts            *encryption.IPsecOptions
		keyFile, secret string
	}{
		{"defaults", nil, "/etc/ipsec/keys", "cilium-ipsec-keys"},
		{"custom names", &encryption.IPsecOptions{SecretName: "mesh-ipsec", KeyFile: "mesh.keys"}, "/etc/ipsec/mesh.keys", "mesh-ipsec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := encryption.IPsecValues(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			m, config := testenv.RenderCilium(t, vals)
			for k, want := range map[string]string{"enable-ipsec": "true", "ipsec-key-file": tt.keyFile} {
				if got := config[k]; got != want {
					t.Errorf("cilium-config %s = %q, want %q", k, got, want)
				}
			}
			if v, ok := config["enable-wireguard"]; ok {
				t.Errorf("cilium-config enable-wireguard = %q, want absent", v)
			}
			ds, err := m.Find("DaemonSet", "cilium")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(ds, "secretName: "+tt.secret) {
				t.Errorf("cilium DaemonSet does not mount Secret %s", tt.secret)
			}
		})
	}
}

func TestIPsecValuesRejectsNames(t *testing.T) {
	for _, o := range []encryption.IPsecOptions{{SecretName: "Bad_Name"}, {KeyFile: "a/b"}} {
		if _, err := encryption.IPsecValues(&o); !errors.Is(err, encryption.ErrSecretName) {
			t.Errorf("IPsecValues(%+v) err = %v, want ErrSecretName", o, err)
		}
	}
}

func TestIPsecSecret(t *testing.T) {
	k, err := encryption.GenerateIPsecKey(4, 32)
	if err != nil {
		t.Fatal(err)
	}
	s, err := encryption.IPsecSecret("kube-system", k, &encryption.IPsecOptions{KeyFile: "mesh.keys"})
	if err != nil {
		t.Fatal(err)
	}
	if *s.Name != "cilium-ipsec-keys" || *s.Namespace != "kube-system" || *s.Kind != "Secret" || *s.APIVersion != "v1" || *s.Type != corev1.SecretTypeOpaque {
		t.Errorf("secret %s/%s kind %s/%s type %s", *s.Namespace, *s.Name, *s.APIVersion, *s.Kind, *s.Type)
	}
	if len(s.Data) != 1 {
		t.Errorf("secret has %d data keys, want 1", len(s.Data))
	}
	got, err := encryption.ParseIPsecKey(string(s.Data["mesh.keys"]))
	if err != nil {
		t.Fatal(err)
	}
	if got.Line() != k.Line() {
		t.Error("secret data does not hold the key line")
	}

	bad := k
	bad.Key = bad.Key[:10]
	_, err = encryption.IPsecSecret("kube-system", bad, nil)
	if !errors.Is(err, encryption.ErrIPsecKey) || !strings.Contains(err.Error(), "kube-system/cilium-ipsec-keys") {
		t.Errorf("short key: err = %v, want ErrIPsecKey naming the secret", err)
	}
	if _, err := encryption.IPsecSecret("", k, nil); !errors.Is(err, encryption.ErrSecretName) {
		t.Errorf("empty namespace: err = %v, want ErrSecretName", err)
	}
	if _, err := encryption.IPsecSecret("kube-system", encryption.IPsecKey{SPI: 0, Key: k.Key, ICVBits: 128}, nil); !errors.Is(err, encryption.ErrSPI) {
		t.Errorf("SPI 0: err = %v, want ErrSPI", err)
	}
}
