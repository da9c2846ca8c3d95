package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	ciliumclient "github.com/cilium/cilium/pkg/k8s/client/clientset/versioned"

	"github.com/ciliumkit/ciliumkit/internal/pki"
)

// Options configure Start. The zero value starts an API server with Cilium's CRDs.
type Options struct {
	// Name labels the environment in logs and errors (e.g. the cluster name); default "env".
	Name string
	// SkipCRDs leaves Cilium's CRDs out.
	SkipCRDs bool
	// ServiceCIDR is the Service ClusterIP range; default 10.96.0.0/16.
	ServiceCIDR string
}

// Env is one running cluster control plane: embedded etcd plus a real kube-apiserver.
type Env struct {
	// Name is Options.Name.
	Name string
	// Config has admin rights (a client certificate in group system:masters).
	Config *rest.Config
	// Kube and Cilium are clientsets on Config.
	Kube   kubernetes.Interface
	Cilium ciliumclient.Interface
	// Etcd is the API server's storage.
	Etcd *Etcd

	dir     string
	args    []string
	bin     string
	logPath string

	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when cmd ends.
	exited chan struct{}
}

// Start starts an environment and stops it when t ends. It fails t (or skips it, see
// Unavailable) when the kube-apiserver binary is missing.
func Start(t testing.TB, opts *Options) *Env {
	t.Helper()
	bin, err := KubeAPIServerPath()
	if err != nil {
		Unavailable(t, err.Error())
	}
	if opts == nil {
		opts = &Options{}
	}
	e, err := start(t, bin, opts)
	if err != nil {
		t.Fatalf("testenv %s: %v", opts.Name, err)
	}
	if !opts.SkipCRDs {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := InstallCiliumCRDs(ctx, e.Config); err != nil {
			t.Fatalf("testenv %s: %v", e.Name, err)
		}
	}
	return e
}

func start(t testing.TB, bin string, opts *Options) (*Env, error) {
	name := opts.Name
	if name == "" {
		name = "env"
	}
	dir := t.TempDir()
	e := &Env{Name: name, dir: dir, bin: bin, logPath: filepath.Join(dir, "kube-apiserver.log")}
	etcd, err := NewEtcd(filepath.Join(dir, "etcd"), nil)
	if err != nil {
		return nil, err
	}
	e.Etcd = etcd
	t.Cleanup(etcd.Stop)

	ca, err := pki.NewCA(pki.Options{CommonName: "testenv-" + name + "-ca"})
	if err != nil {
		return nil, err
	}
	serving, err := ca.Issue(pki.Options{CommonName: "kube-apiserver", Server: true,
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPs:      []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		return nil, err
	}
	admin, err := ca.Issue(pki.Options{CommonName: "admin", Organization: []string{"system:masters"}, Client: true})
	if err != nil {
		return nil, err
	}
	saKey, saPub, err := pki.NewKey(pki.ECDSAP256)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"sa.pub":      saPub,
		"ca.crt":      ca.CertPEM,
		"serving.crt": serving.CertPEM,
		"serving.key": serving.KeyPEM,
		"sa.key":      saKey,
	}
	for f, b := range files {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			return nil, err
		}
	}
	svcCIDR := opts.ServiceCIDR
	if svcCIDR == "" {
		svcCIDR = "10.96.0.0/16"
	}

	var lastErr error
	for range 5 {
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		e.args = []string{
			"--etcd-servers=" + etcd.Endpoint,
			"--etcd-prefix=/registry",
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", ports[0]),
			"--cert-dir=" + dir,
			"--tls-cert-file=" + filepath.Join(dir, "serving.crt"),
			"--tls-private-key-file=" + filepath.Join(dir, "serving.key"),
			"--client-ca-file=" + filepath.Join(dir, "ca.crt"),
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + filepath.Join(dir, "sa.pub"),
			"--service-account-signing-key-file=" + filepath.Join(dir, "sa.key"),
			"--authorization-mode=RBAC",
			"--allow-privileged=true",
			"--service-cluster-ip-range=" + svcCIDR,
			"--enable-priority-and-fairness=false",
			"--disable-admission-plugins=ServiceAccount",
			"--v=0",
		}
		e.Config = &rest.Config{
			Host: fmt.Sprintf("https://127.0.0.1:%d", ports[0]),
			TLSClientConfig: rest.TLSClientConfig{
				CAData: ca.CertPEM, CertData: admin.CertPEM, KeyData: admin.KeyPEM,
			},
			QPS: 200, Burst: 400,
		}
		if lastErr = e.Restart(); lastErr == nil {
			break
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			return nil, lastErr
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	t.Cleanup(e.Stop)
	if e.Kube, err = kubernetes.NewForConfig(e.Config); err != nil {
		return nil, err
	}
	if e.Cilium, err = ciliumclient.NewForConfig(e.Config); err != nil {
		return nil, err
	}
	return e, nil
}

// Restart starts the API server if it is stopped and waits until /readyz answers ok.
func (e *Env) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd != nil {
		return nil
	}
	log, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(e.bin, e.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start kube-apiserver: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(exited) }()
	e.cmd, e.exited = cmd, exited
	if err := e.waitReady(exited); err != nil {
		cmd.Process.Kill()
		<-exited
		e.cmd = nil
		return fmt.Errorf("%w\n--- kube-apiserver log (tail) ---\n%s", err, e.logTail(40))
	}
	return nil
}

func (e *Env) waitReady(exited <-chan struct{}) error {
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		cancel()
		if err == nil && string(body) == "ok" {
			return nil
		}
		select {
		case <-exited:
			if bytes.Contains([]byte(e.logTail(40)), []byte("address already in use")) {
				return errors.New("kube-apiserver exited: address already in use")
			}
			return errors.New("kube-apiserver exited before it was ready")
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver not ready after 90s: %v", err)
		}
	}
}

// Stop stops the API server (SIGTERM, then SIGKILL after 10 s). Its etcd keeps running, so
// Restart brings the same cluster back.
func (e *Env) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd == nil {
		return
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(10 * time.Second):
		e.cmd.Process.Kill()
		<-e.exited
	}
	e.cmd = nil
}

func (e *Env) logTail(n int) string {
	b, err := os.ReadFile(e.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Namespace creates a fresh namespace named after the test and returns its name. It is
// deleted when t ends.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	base := strings.ToLower(t.Name())
	base = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, base)
	base = strings.Trim(base, "-")
	if len(base) > 40 {
		base = strings.Trim(base[:40], "-")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: base + "-"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := e.Kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("testenv %s: create namespace: %v", e.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := e.Kube.CoreV1().Namespaces().Delete(ctx, got.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !isConnRefused(err) {
			t.Logf("testenv %s: delete namespace %s: %v", e.Name, got.Name, err)
		}
	})
	return got.Name
}

func isConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
