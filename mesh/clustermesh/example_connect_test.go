package clustermesh_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/ciliumkit/ciliumkit/mesh"
	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// Connect the seed's two clusters into a full mesh and wait until both
// clustermesh-apiservers are ready and configured for each other. Each cluster is reached
// through a kubeconfig context; the chart is the Cilium chart to install or upgrade. It
// needs live clusters, so it is compiled but not run.
//
// A dry run first shows every Helm value the run will change, with its owner.
func ExampleConnect() {
	ctx := context.Background()
	chart, err := clustermesh.CiliumChart(ctx) // the chart of the Cilium version ciliumkit pins
	if err != nil {
		log.Fatal(err)
	}
	config := func(kubeContext string) clustermesh.Target {
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			clientcmd.NewDefaultClientConfigLoadingRules(),
			&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
		if err != nil {
			log.Fatal(err)
		}
		return clustermesh.Target{Config: cfg, Chart: chart}
	}
	tokyo, hk := config("tokyo"), config("hk")
	tokyo.Cluster = mesh.Cluster{Name: "tokyo", ID: 1}
	hk.Cluster = mesh.Cluster{Name: "hk", ID: 2}
	targets := []clustermesh.Target{tokyo, hk}

	// What would change, without writing anything.
	plan, err := clustermesh.Connect(ctx, targets, &clustermesh.ConnectOptions{DryRun: true})
	if err != nil {
		log.Fatal(err) // e.g. ErrIdentityChange: tokyo already runs as another ID
	}
	for _, c := range plan.Clusters {
		for _, ch := range c.Changes {
			fmt.Println(c.Cluster, ch)
		}
	}

	report, err := clustermesh.Connect(ctx, targets, &clustermesh.ConnectOptions{
		Topology: clustermesh.FullMesh,
		Logger:   slog.Default(),
		Progress: func(p clustermesh.Progress) { log.Printf("%s: %s", p.Cluster, p.Step) },
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range report.Clusters {
		fmt.Println(c.Cluster, c.Enable, c.Connect, c.Peers)
	}

	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	st, err := clustermesh.Wait(wctx, targets, &clustermesh.WaitOptions{Topology: clustermesh.FullMesh})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready:", st.Ready())
}
