package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// kvstoreServer is one cluster's ClusterMesh etcd: what the clustermesh-apiserver runs,
// embedded, serving on loopback with the cluster's clustermesh-apiserver-server-cert and
// requiring client certificates signed by the mesh CA.
type kvstoreServer struct {
	cluster  string
	endpoint string // https://127.0.0.1:PORT
	srv      *embed.Etcd
}

// startKVStore starts the etcd of cluster in dir with the given certificate Secrets. The
// client port and the (unused) peer port are chosen by the kernel; nothing listens beyond
// 127.0.0.1. etcd's own logs are discarded.
func startKVStore(ctx context.Context, cluster, dir string, secrets map[string]map[string][]byte) (*kvstoreServer, error) {
	server, ok := secrets[clustermesh.SecretServerCert]
	if !ok {
		return nil, fmt.Errorf("cluster %s: no %s issued", cluster, clustermesh.SecretServerCert)
	}
	files := map[string][]byte{"ca.crt": server["ca.crt"], "tls.crt": server["tls.crt"], "tls.key": server["tls.key"]}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	cfg := embed.NewConfig()
	cfg.Name = cluster
	cfg.Dir = filepath.Join(dir, "data")
	client := url.URL{Scheme: "https", Host: "127.0.0.1:0"}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cluster + "=" + peer.String()
	cfg.ListenMetricsUrls = nil
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.ClientTLSInfo.CertFile = filepath.Join(dir, "tls.crt")
	cfg.ClientTLSInfo.KeyFile = filepath.Join(dir, "tls.key")
	cfg.ClientTLSInfo.TrustedCAFile = filepath.Join(dir, "ca.crt")
	cfg.ClientTLSInfo.ClientCertAuth = true

	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: start etcd: %w", cluster, err)
	}
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		srv.Close()
		return nil, fmt.Errorf("cluster %s: etcd failed: %w", cluster, err)
	case <-ctx.Done():
		srv.Close()
		return nil, ctx.Err()
	case <-time.After(2 * time.Minute):
		srv.Close()
		return nil, fmt.Errorf("cluster %s: etcd not ready after 2m", cluster)
	}
	return &kvstoreServer{
		cluster:  cluster,
		endpoint: "https://" + srv.Clients[0].Addr().String(),
		srv:      srv,
	}, nil
}

func (k *kvstoreServer) Close() { k.srv.Close() }

// connect opens a client presenting the certificate of Secret secret of cluster owner
// (this cluster's admin cert for its own clustermesh-apiserver, or another cluster's
// remote cert for its agents), checked against the CA bundle of that Secret.
func (k *kvstoreServer) connect(ctx context.Context, owner map[string]map[string][]byte, secret string) (*clientv3.Client, error) {
	tlsCfg, err := kvstore.TLSConfigFromSecretData(owner[secret])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", secret, err)
	}
	cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: []string{k.endpoint}, TLS: tlsCfg})
	if err != nil {
		return nil, fmt.Errorf("connect to %s's kvstore %s with %s: %w", k.cluster, k.endpoint, secret, err)
	}
	return cli, nil
}

// initUsers sets up etcd's users and roles the way Cilium's clustermesh-apiserver
// (etcdinit) does, then turns authentication on: with client-certificate auth the
// certificate's CN is the user. root and admin-<cluster> get the root role; remote (the
// CN of every cluster's clustermesh-apiserver-remote-cert) may only read the heartbeat,
// cilium/state/, this cluster's config and its sync canaries. admin must be a client
// connected with this cluster's admin certificate.
func (k *kvstoreServer) initUsers(ctx context.Context, admin *clientv3.Client) error {
	noPassword := &clientv3.UserAddOptions{NoPassword: true}
	prefix := func(p string) [2]string { return [2]string{p, clientv3.GetPrefixRangeEnd(p)} }
	remoteRanges := [][2]string{
		prefix(kvstore.HeartbeatKey),
		prefix(kvstore.StatePrefix + "/"),
		{kvstore.ClusterConfigKey(k.cluster), ""},
		prefix(kvstore.SyncedPrefix + "/" + k.cluster + "/"),
	}
	var errs []error
	try := func(_ any, err error) { errs = append(errs, err) }
	for _, user := range []string{"root", clustermesh.AdminCN(k.cluster)} {
		try(admin.UserAddWithOptions(ctx, user, "", noPassword))
		try(admin.UserGrantRole(ctx, user, "root"))
	}
	remote := clustermesh.RemoteCN(k.cluster, clustermesh.AuthMigration)
	try(admin.UserAddWithOptions(ctx, remote, "", noPassword))
	try(admin.RoleAdd(ctx, "remote"))
	try(admin.UserGrantRole(ctx, remote, "remote"))
	for _, r := range remoteRanges {
		try(admin.RoleGrantPermission(ctx, "remote", r[0], r[1], clientv3.PermissionType(clientv3.PermRead)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cluster %s: etcd users: %w", k.cluster, err)
	}
	if _, err := admin.AuthEnable(ctx); err != nil {
		return fmt.Errorf("cluster %s: enable etcd auth: %w", k.cluster, err)
	}
	return nil
}
