package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
	"github.com/ciliumkit/ciliumkit/mesh/global"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
	"github.com/ciliumkit/ciliumkit/mesh/lb"
)

// member is one cluster of the loopback mesh.
type member struct {
	plan mesh.ClusterPlan
	// secrets are the cluster's clustermesh-apiserver certificate Secrets' data, keyed by
	// Secret name.
	secrets  map[string]map[string][]byte
	kv       *kvstoreServer
	admin    *clientv3.Client
	svc      *corev1.Service
	exported *kvstore.ClusterService
	// imported is the peer's echoserver as this cluster's agents read it.
	imported *kvstore.ClusterService
}

// runMesh issues the mesh certificates, starts one kvstore per cluster, exports the
// echoserver global service from each, imports the other side's, and prints each
// cluster's merged service table for every affinity.
func runMesh(ctx context.Context, p *progress, plan *mesh.Plan) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()

	ca, err := clustermesh.NewCA(nil)
	if err != nil {
		return err
	}
	bundle := clustermesh.TrustBundle(ca)
	p.say("clustermesh.NewCA: %s (the cilium-ca both clusters share, as `cilium clustermesh connect` needs)", ca)

	dir, err := os.MkdirTemp("", "ciliumkit-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var members []*member
	for _, c := range plan.Clusters() {
		secrets, err := clustermesh.CertSecrets(c.Name, ca, bundle, nil, nil)
		if err != nil {
			return err
		}
		data := map[string]map[string][]byte{}
		var names []string
		for _, s := range secrets {
			data[*s.Name] = s.Data
			names = append(names, *s.Name)
		}
		p.say("clustermesh.CertSecrets(%q): %v", c.Name, names)
		members = append(members, &member{plan: c, secrets: data})
	}

	// Start the kvstores side by side: each takes about half a second.
	var wg sync.WaitGroup
	errs := make([]error, len(members))
	for i, m := range members {
		sub := filepath.Join(dir, m.plan.Name)
		if err := os.Mkdir(sub, 0o700); err != nil {
			return err
		}
		wg.Go(func() {
			m.kv, errs[i] = startKVStore(ctx, m.plan.Name, sub, m.secrets)
		})
	}
	wg.Wait()
	defer func() {
		for _, m := range members {
			if m.admin != nil {
				m.admin.Close()
			}
			if m.kv != nil {
				m.kv.Close()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	for _, m := range members {
		if err := exportEcho(ctx, p, m); err != nil {
			return err
		}
	}
	for _, m := range members {
		for _, peer := range members {
			if peer != m {
				if err := importEcho(ctx, p, m, peer); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range members {
		if err := printServiceLists(p, m); err != nil {
			return err
		}
	}
	return nil
}

// exportEcho sets up m's kvstore like the clustermesh-apiserver does (users, cluster
// config) and exports m's echoserver through it with m's admin certificate.
func exportEcho(ctx context.Context, p *progress, m *member) error {
	var err error
	if m.admin, err = m.kv.connect(ctx, m.secrets, clustermesh.SecretAdminCert); err != nil {
		return err
	}
	if err := m.kv.initUsers(ctx, m.admin); err != nil {
		return err
	}
	ex, err := kvstore.NewExporter(m.admin, m.plan.Cluster, nil)
	if err != nil {
		return err
	}
	caps := kvstore.Capabilities{SyncedCanaries: true, MaxConnectedClusters: 255}
	if err := ex.PutClusterConfig(ctx, caps); err != nil {
		return err
	}
	svc, slice, err := echoserver(m.plan)
	if err != nil {
		return err
	}
	cs, ok, err := kvstore.FromService(m.plan.Cluster, svc, []*discoveryv1.EndpointSlice{slice})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cluster %s: %s/%s is not exported (not a shared global service)", m.plan.Name, svc.Namespace, svc.Name)
	}
	if _, err := ex.Sync(ctx, []*kvstore.ClusterService{cs}); err != nil {
		return err
	}
	if err := ex.MarkSynced(ctx); err != nil {
		return err
	}
	if err := ex.Heartbeat(ctx); err != nil {
		return err
	}
	m.svc, m.exported = svc, cs
	backends, err := cs.MeshBackends()
	if err != nil {
		return err
	}
	p.say("%s: etcd %s (mTLS, auth on); exported %s with %d backend(s) %v as %s",
		m.plan.Name, m.kv.endpoint, cs, len(backends), addrs(backends), clustermesh.AdminCN(m.plan.Name))
	return nil
}

// importEcho reads peer's echoserver into m the way m's agents do: with m's remote
// certificate, which peer's kvstore lets read and nothing else.
func importEcho(ctx context.Context, p *progress, m, peer *member) error {
	cli, err := peer.kv.connect(ctx, m.secrets, clustermesh.SecretRemoteCert)
	if err != nil {
		return err
	}
	defer cli.Close()

	// The remote user may read, never write: the kvstore refuses.
	_, werr := cli.Put(ctx, kvstore.ServiceKey(peer.plan.Name, echoNamespace, "intruder"), "{}")
	if werr == nil {
		return fmt.Errorf("%s's kvstore let %s's remote certificate write", peer.plan.Name, m.plan.Name)
	}

	runCtx, stop := context.WithCancel(ctx)
	im := kvstore.NewImporter(cli, peer.plan.Name, &kvstore.ImporterOptions{ClusterID: peer.plan.ID})
	done := make(chan error, 1)
	go func() { done <- im.Run(runCtx) }()
	select {
	case <-im.Synced():
	case <-ctx.Done():
		stop()
		<-done
		return fmt.Errorf("%s: import of %s's services: %w", m.plan.Name, peer.plan.Name, ctx.Err())
	}
	cs, ok := im.Get(types.NamespacedName{Namespace: echoNamespace, Name: echoName})
	st := im.Stats()
	stop()
	if err := <-done; err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %s exports no %s/%s (stats %+v)", m.plan.Name, peer.plan.Name, echoNamespace, echoName, st)
	}
	m.imported = cs
	backends, err := cs.MeshBackends()
	if err != nil {
		return err
	}
	p.say("%s: imported %s from %s's kvstore as %q: %d backend(s) %v (accepted %d, rejected %d); a write was refused: %v",
		m.plan.Name, cs, peer.plan.Name, clustermesh.RemoteCN(m.plan.Name, clustermesh.AuthMigration),
		len(backends), addrs(backends), st.Accepted, sum(st.Rejected), werr)
	return nil
}

// affinityCase is one annotation of the local echoserver and how Cilium reads it.
type affinityCase struct {
	title      string
	annotation string // "" leaves the annotation out
	likeCilium bool   // select as Cilium 1.19.3 does (SelectLikeCilium)
}

var affinityCases = []affinityCase{
	{title: "affinity none (no annotation: Cilium's default)"},
	{title: "affinity local (service.cilium.io/affinity: local)", annotation: "local"},
	{title: "affinity remote (service.cilium.io/affinity: remote)", annotation: "remote"},
	{title: `literal "none" (service.cilium.io/affinity: "none") as Cilium 1.19.3 selects`, annotation: "none", likeCilium: true},
}

// printServiceLists prints m's merged echoserver service list for every affinity case.
func printServiceLists(p *progress, m *member) error {
	local, err := m.exported.MeshBackends()
	if err != nil {
		return err
	}
	remote, err := m.imported.MeshBackends()
	if err != nil {
		return err
	}
	fe, err := frontend(m.svc)
	if err != nil {
		return err
	}
	for _, ac := range affinityCases {
		svc := withAffinity(m.svc, ac.annotation)
		g, err := global.FromService(svc)
		if err != nil {
			return err
		}
		if g == nil {
			return fmt.Errorf("%s: %s/%s is not global", m.plan.Name, svc.Namespace, svc.Name)
		}
		sel := lb.Select(g, local, remote)
		if ac.likeCilium {
			sel = lb.SelectLikeCilium(g, local, remote)
		}
		var buf bytes.Buffer
		row := lb.ServiceRow{ID: echoServiceID, Frontend: lb.Frontend{Addr: fe, Protocol: lb.TCP}, Type: "ClusterIP", Selection: sel}
		if err := lb.FormatServiceList(&buf, []lb.ServiceRow{row}); err != nil {
			return err
		}
		p.say("")
		p.say("%s (cluster id %d), %s:", m.plan.Name, m.plan.ID, ac.title)
		p.say("$ cilium service list --clustermesh-affinity")
		p.block(buf.String())
		if w := g.Warning(); w != "" {
			p.say("warning: %s", w)
		}
	}
	return nil
}

func addrs(bs []lb.Backend) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Addr.String()
	}
	return out
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
