package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/ciliumkit/ciliumkit/internal/pki"
)

// EtcdOptions configure StartEtcd. The zero value is a plain-HTTP etcd on loopback.
type EtcdOptions struct {
	// TLS serves clients over TLS and requires a client certificate signed by CA.
	TLS bool
	// CA signs the server certificate and is the trusted client CA when TLS is set; nil
	// means a fresh CA.
	CA *pki.CA
}

// Etcd is a real embedded etcd server. It can be stopped and started again on the same
// data directory and port, to test clients through a restart.
type Etcd struct {
	// Endpoint is the client URL, http://127.0.0.1:PORT or https://127.0.0.1:PORT.
	Endpoint string
	// CA is the certificate authority of the server and of client certificates (TLS only).
	CA *pki.CA
	// ClientCert is a client certificate signed by CA (TLS only), CN "root".
	ClientCert *pki.Pair

	mu  sync.Mutex
	dir string
	cfg func() *embed.Config
	srv *embed.Etcd
}

// StartEtcd starts an embedded etcd and stops it when t ends.
func StartEtcd(t testing.TB, opts *EtcdOptions) *Etcd {
	t.Helper()
	e, err := NewEtcd(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// NewEtcd starts an embedded etcd whose data lives in dir. The caller stops it.
func NewEtcd(dir string, opts *EtcdOptions) (*Etcd, error) {
	if opts == nil {
		opts = &EtcdOptions{}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	e := &Etcd{dir: dir}
	scheme := "http"
	var serverCert, serverKey, caFile string
	if opts.TLS {
		scheme = "https"
		ca := opts.CA
		if ca == nil {
			var err error
			if ca, err = pki.NewCA(pki.Options{CommonName: "testenv-etcd-ca"}); err != nil {
				return nil, err
			}
		}
		srv, err := ca.Issue(pki.Options{CommonName: "etcd", DNSNames: []string{"localhost"},
			IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Server: true, Client: true})
		if err != nil {
			return nil, err
		}
		cli, err := ca.Issue(pki.Options{CommonName: "root", Client: true})
		if err != nil {
			return nil, err
		}
		e.CA, e.ClientCert = ca, cli
		serverCert, serverKey, caFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.crt")
		for f, b := range map[string][]byte{serverCert: srv.CertPEM, serverKey: srv.KeyPEM, caFile: ca.CertPEM} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				return nil, err
			}
		}
	}
	var lastErr error
	for range 5 {
		ports, err := freePorts(2)
		if err != nil {
			return nil, err
		}
		client := &url.URL{Scheme: scheme, Host: fmt.Sprintf("127.0.0.1:%d", ports[0])}
		peer := &url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[1])}
		e.cfg = func() *embed.Config {
			cfg := embed.NewConfig()
			cfg.Name = "testenv"
			cfg.Dir = filepath.Join(dir, "data")
			cfg.ListenClientUrls = []url.URL{*client}
			cfg.AdvertiseClientUrls = []url.URL{*client}
			cfg.ListenPeerUrls = []url.URL{*peer}
			cfg.AdvertisePeerUrls = []url.URL{*peer}
			cfg.InitialCluster = cfg.Name + "=" + peer.String()
			cfg.LogLevel = "error"
			cfg.LogOutputs = []string{filepath.Join(dir, "etcd.log")}
			cfg.ListenMetricsUrls = nil
			if opts.TLS {
				cfg.ClientTLSInfo.CertFile = serverCert
				cfg.ClientTLSInfo.KeyFile = serverKey
				cfg.ClientTLSInfo.TrustedCAFile = caFile
				cfg.ClientTLSInfo.ClientCertAuth = true
			}
			return cfg
		}
		e.Endpoint = client.String()
		if lastErr = e.Start(); lastErr == nil {
			return e, nil
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

// Start starts a stopped server again, on the same data and port.
func (e *Etcd) Start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return nil
	}
	srv, err := embed.StartEtcd(e.cfg())
	if err != nil {
		return fmt.Errorf("testenv: start etcd: %w", err)
	}
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		srv.Close()
		return fmt.Errorf("testenv: etcd failed: %w", err)
	case <-time.After(60 * time.Second):
		srv.Close()
		return errors.New("testenv: etcd not ready after 60s")
	}
	e.srv = srv
	return nil
}

// Stop stops the server; its data stays for Start.
func (e *Etcd) Stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
	}
}

// ClientTLS returns a client TLS configuration that trusts the CA and presents
// ClientCert; nil when the server is plain HTTP.
func (e *Etcd) ClientTLS() (*tls.Config, error) {
	if e.CA == nil {
		return nil, nil
	}
	pair, err := tls.X509KeyPair(e.ClientCert.CertPEM, e.ClientCert.KeyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(e.CA.Cert)
	return &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
