package kvstore_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/kvstore"
)

// A cluster exports its global services into its ClusterMesh etcd, the way Cilium's
// clustermesh-apiserver does: connect with the admin certificate, announce the cluster
// config, write the services, mark them synced, and keep the heartbeat fresh. It needs a
// running etcd, so it is compiled but not run.
func ExampleExporter() {
	ctx := context.Background()
	ca, _ := os.ReadFile("ca.crt")
	crt, _ := os.ReadFile("admin.crt")
	key, _ := os.ReadFile("admin.key")
	tlsCfg, err := kvstore.TLSConfig(ca, crt, key)
	if err != nil {
		log.Fatal(err)
	}
	cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: []string{"https://127.0.0.1:2379"}, TLS: tlsCfg})
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()

	tokyo := mesh.Cluster{Name: "tokyo", ID: 1}
	ex, err := kvstore.NewExporter(cli, tokyo, slog.Default())
	if err != nil {
		log.Fatal(err)
	}
	if err := ex.PutClusterConfig(ctx, kvstore.Capabilities{}); err != nil {
		log.Fatal(err)
	}
	svc := kvstore.NewClusterService(tokyo, "default", "echoserver")
	if _, err := ex.Sync(ctx, []*kvstore.ClusterService{svc}); err != nil {
		log.Fatal(err)
	}
	if err := ex.MarkSynced(ctx); err != nil {
		log.Fatal(err)
	}
	for range time.Tick(30 * time.Second) {
		if err := ex.Heartbeat(ctx); err != nil {
			log.Print(err)
		}
	}
}

// An agent-like reader follows another cluster's services: list, then watch, re-listing
// after any error, with every rejected value counted by reason. It needs a running etcd,
// so it is compiled but not run.
func ExampleImporter() {
	ctx := context.Background()
	ca, _ := os.ReadFile("ca.crt")
	crt, _ := os.ReadFile("remote.crt")
	key, _ := os.ReadFile("remote.key")
	tlsCfg, err := kvstore.TLSConfig(ca, crt, key)
	if err != nil {
		log.Fatal(err)
	}
	cli, err := kvstore.Connect(ctx, kvstore.Config{Endpoints: []string{"https://10.14.0.10:32379"}, TLS: tlsCfg})
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()

	im := kvstore.NewImporter(cli, "hk", &kvstore.ImporterOptions{OnEvent: func(e kvstore.Event) {
		log.Printf("%s %s", e.Kind, e.Name)
	}})
	go func() {
		<-im.Synced()
		log.Printf("hk: %d services, %+v", im.Len(), im.Stats())
	}()
	if err := im.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
