package clustermesh_test

import (
	"context"
	"crypto/x509"
	"net/url"
	"path"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ciliumkit/ciliumkit/internal/pki"
	"github.com/ciliumkit/ciliumkit/internal/testenv"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// mountedFiles lists the Secret keys that may be projected at file in a container, in
// the order of the volume's sources: an explicit item with that path, or the key of
// the same name in a Secret projected without items.
func mountedFiles(spec *corev1.PodSpec, container, file string) [][2]string {
	var out [][2]string
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.Name != container {
			continue
		}
		for _, m := range c.VolumeMounts {
			if path.Dir(file) != path.Clean(m.MountPath) {
				continue
			}
			rel := path.Base(file)
			for _, v := range spec.Volumes {
				if v.Name != m.Name || v.Projected == nil {
					continue
				}
				for _, src := range v.Projected.Sources {
					if src.Secret == nil {
						continue
					}
					if len(src.Secret.Items) == 0 {
						out = append(out, [2]string{src.Secret.Name, rel})
					}
					for _, it := range src.Secret.Items {
						if it.Path == rel {
							out = append(out, [2]string{src.Secret.Name, it.Key})
						}
					}
				}
			}
		}
	}
	return out
}

// readMounted returns the bytes a container reads at file, failing t when no Secret
// projects that file.
func readMounted(t *testing.T, e *testenv.Env, spec *corev1.PodSpec, container, file string) []byte {
	t.Helper()
	cands := mountedFiles(spec, container, file)
	for _, c := range cands {
		s, err := e.Kube.CoreV1().Secrets("kube-system").Get(context.Background(), c[0], metav1.GetOptions{})
		if err == nil && len(s.Data[c[1]]) > 0 {
			return s.Data[c[1]]
		}
	}
	t.Fatalf("%s: container %s finds nothing at %s (candidates %v)", e.Name, container, file, cands)
	return nil
}

// verifyLink checks one peer entry the way the reading container would use it: every
// file it names is projected into that container; the server at the endpoint presents
// the certificate in server's clustermesh-apiserver-server-cert, which verifies against
// the trusted-ca-file for the endpoint's host name; and the client certificate verifies,
// for client auth, against the CA bundle the server's etcd trusts.
func verifyLink(t *testing.T, from *testenv.Env, spec *corev1.PodSpec, container string, pc *clustermesh.PeerConfig, server *testenv.Env) {
	t.Helper()
	if len(pc.Endpoints) != 1 {
		t.Fatalf("%s: endpoints %v, want one", from.Name, pc.Endpoints)
	}
	u, err := url.Parse(pc.Endpoints[0])
	if err != nil {
		t.Fatal(err)
	}
	trusted := readMounted(t, from, spec, container, pc.TrustedCAFile)
	clientCrt := readMounted(t, from, spec, container, pc.CertFile)
	clientKey := readMounted(t, from, spec, container, pc.KeyFile)
	if err := pki.MatchKey(clientCrt, clientKey); err != nil {
		t.Errorf("%s: %s and %s: %v", from.Name, pc.CertFile, pc.KeyFile, err)
	}
	srv := secret(t, server, clustermesh.SecretServerCert)
	serverCert, err := pki.ParseCert(srv.Data["tls.crt"])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(trusted) {
		t.Fatalf("%s: %s holds no certificate", from.Name, pc.TrustedCAFile)
	}
	if _, err := serverCert.Verify(x509.VerifyOptions{DNSName: u.Hostname(), Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("%s -> %s (%s): server certificate does not verify: %v", from.Name, server.Name, u.Host, err)
	}
	serverTrust := x509.NewCertPool()
	serverTrust.AppendCertsFromPEM(srv.Data["ca.crt"])
	cc, err := pki.ParseCert(clientCrt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Verify(x509.VerifyOptions{Roots: serverTrust, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("%s -> %s: client certificate %q not accepted by the server's CA bundle: %v", from.Name, server.Name, cc.Subject.CommonName, err)
	}
	if _, err := cc.Verify(x509.VerifyOptions{Roots: serverTrust, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Errorf("%s: client certificate %q is also valid for server auth", from.Name, cc.Subject.CommonName)
	}
}

// podSpecs returns the agent DaemonSet's and the clustermesh-apiserver Deployment's pod specs.
func podSpecs(t *testing.T, e *testenv.Env) (agent, apiserver *corev1.PodSpec) {
	t.Helper()
	ctx := context.Background()
	ds, err := e.Kube.AppsV1().DaemonSets("kube-system").Get(ctx, "cilium", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Kube.AppsV1().Deployments("kube-system").Get(ctx, clustermesh.APIServerName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &ds.Spec.Template.Spec, &d.Spec.Template.Spec
}

// peerEntry parses the entry for peer in Secret name of e.
func peerEntry(t *testing.T, e *testenv.Env, name, peer string) *clustermesh.PeerConfig {
	t.Helper()
	data := secret(t, e, name).Data[peer]
	if data == nil {
		t.Fatalf("%s: Secret %s has no entry %q", e.Name, name, peer)
	}
	pc, err := clustermesh.ParsePeerConfig(data)
	if err != nil {
		t.Fatalf("%s: Secret %s entry %q: %v", e.Name, name, peer, err)
	}
	return pc
}

// hostAlias reports whether spec maps ip to host.
func hostAlias(spec *corev1.PodSpec, ip, host string) bool {
	for _, h := range spec.HostAliases {
		if h.IP == ip && strings.Contains(strings.Join(h.Hostnames, " "), host) {
			return true
		}
	}
	return false
}
