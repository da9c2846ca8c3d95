package ciliumproc

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// hostsFile is the /etc/hosts the kubelet writes for a pod with hostAliases.
func hostsFile(name string, aliases []corev1.HostAlias) []byte {
	var b strings.Builder
	b.WriteString("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("127.0.1.1\t" + name + "\n")
	if len(aliases) > 0 {
		b.WriteString("\n# Entries added by HostAliases.\n")
		for _, a := range aliases {
			b.WriteString(a.IP + "\t" + strings.Join(a.Hostnames, "\t") + "\n")
		}
	}
	return []byte(b.String())
}

// etcdConfigPath is clustermesh-apiserver/etcd-config.yaml of the Cilium module, the file
// the image installs as /var/lib/cilium/etcd-config.yaml.
func etcdConfigPath() (string, error) {
	dir, err := ciliumModuleDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "clustermesh-apiserver", "etcd-config.yaml")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("ciliumproc: the image's etcd config: %w", err)
	}
	return p, nil
}

// newUID returns a random RFC 4122 version 4 UUID, as Kubernetes gives metadata.uid.
func newUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// podSuffix returns a random ReplicaSet-like pod name suffix, e.g. "7d9f8b6c4-x2k9p".
func podSuffix() string {
	const alnum = "bcdfghjklmnpqrstvwxz2456789"
	var b [15]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b[:9]) + "-" + string(b[10:15])
}
