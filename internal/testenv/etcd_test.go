package testenv_test

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ciliumkit/ciliumkit/internal/testenv"
)

func TestEtcdTLSRequiresClientCert(t *testing.T) {
	e := testenv.StartEtcd(t, &testenv.EtcdOptions{TLS: true})
	tlsCfg, err := e.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}, TLS: tlsCfg, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Put(ctx, "cilium/.heartbeat", "x"); err != nil {
		t.Fatalf("put with client certificate: %v", err)
	}

	noCert := tlsCfg.Clone()
	noCert.Certificates = nil
	c2, err := clientv3.New(clientv3.Config{Endpoints: []string{e.Endpoint}, TLS: noCert, DialTimeout: 2 * time.Second})
	if err == nil {
		defer c2.Close()
		short, cancel2 := context.WithTimeout(ctx, 3*time.Second)
		defer cancel2()
		if _, err := c2.Get(short, "cilium/.heartbeat"); err == nil {
			t.Fatal("a client without a certificate read from etcd")
		}
	}

	e.Stop()
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	r, err := c.Get(ctx, "cilium/.heartbeat")
	if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "x" {
		t.Fatalf("after restart: %v %v", r, err)
	}
}
