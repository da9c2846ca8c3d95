package kvstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// TLSConfig returns a client TLS configuration for mutual TLS with a ClusterMesh etcd:
// it trusts the CA certificates in caPEM and presents the certificate and key in certPEM
// and keyPEM (for example the ca.crt, tls.crt and tls.key of the
// clustermesh-apiserver-remote-cert Secret). TLS 1.2 is the minimum.
func TLSConfig(caPEM, certPEM, keyPEM []byte) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("kvstore: no CA certificate in caPEM")
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("kvstore: client certificate: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// TLSConfigFromSecretData returns TLSConfig for the data of a kubernetes.io/tls Secret
// with keys ca.crt, tls.crt and tls.key, such as the clustermesh-apiserver-remote-cert
// Secret that clustermesh.CertSecrets issues (Secret.Data or the apply configuration's Data).
func TLSConfigFromSecretData(data map[string][]byte) (*tls.Config, error) {
	for _, k := range [...]string{"ca.crt", "tls.crt", "tls.key"} {
		if len(data[k]) == 0 {
			return nil, fmt.Errorf("kvstore: secret data has no %s", k)
		}
	}
	return TLSConfig(data["ca.crt"], data["tls.crt"], data["tls.key"])
}

// Config is how to reach a ClusterMesh etcd.
type Config struct {
	// Endpoints are etcd client URLs, e.g. https://10.13.0.10:32379.
	Endpoints []string
	// TLS is the client TLS configuration (see TLSConfig); nil for plain HTTP.
	TLS *tls.Config
	// DialTimeout bounds each connection attempt; 0 means 5 s.
	DialTimeout time.Duration
}

// Connect opens an etcd client and checks it with one read of HeartbeatKey, so that a
// refused certificate fails here rather than on first use. The caller closes the client.
// The client logs nothing.
func Connect(ctx context.Context, cfg Config) (*clientv3.Client, error) {
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: cfg.Endpoints, TLS: cfg.TLS, DialTimeout: cfg.DialTimeout,
		Logger: zap.NewNop(), Context: ctx,
		DialKeepAliveTime: 10 * time.Second, DialKeepAliveTimeout: 5 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("kvstore: connect %v: %w", cfg.Endpoints, err)
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if _, err := cli.Get(cctx, HeartbeatKey); err != nil {
		cli.Close()
		return nil, fmt.Errorf("kvstore: connect %v: %w", cfg.Endpoints, err)
	}
	return cli, nil
}
