// Command meshplan plans a Cilium ClusterMesh from a spec file: cluster IDs, pod and
// service CIDRs, capacity and identity ranges, and the Helm values of each cluster.
//
//	meshplan -f SPEC [-previous PLAN.json] [-o json|yaml|values|mermaid] [-cluster NAME]
//
// It prints the plan on stdout. For an invalid spec it prints nothing on stdout, one line
// per problem on stderr (at most mesh.MaxReportedProblems, then a count of the rest), and
// exits with status 1. Spec and plan files larger than mesh.MaxSpecSize (1 MiB) are
// refused. Service ranges are planned only when the spec has service pools; without them
// a cluster keeps the serviceCIDRs it pins, or has none. Usage errors exit with status 2.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/ciliumkit/ciliumkit/mesh"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the whole program, for tests: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("meshplan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specPath := fs.String("f", "", "mesh spec file, YAML or JSON (required)")
	prevPath := fs.String("previous", "", "previous plan (JSON, as -o json prints it); its assignments are kept")
	format := fs.String("o", "json", "output: json, yaml, values (Helm values of -cluster) or mermaid")
	cluster := fs.String("cluster", "", "cluster whose Helm values -o values prints")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "meshplan:", msg)
		fs.Usage()
		return 2
	}
	switch {
	case *specPath == "":
		return usage("-f SPEC is required")
	case fs.NArg() > 0:
		return usage("unexpected arguments: " + strings.Join(fs.Args(), " "))
	case *format == "values" && *cluster == "":
		return usage("-o values needs -cluster NAME")
	case *format != "json" && *format != "yaml" && *format != "values" && *format != "mermaid":
		return usage(fmt.Sprintf("unknown output format %q", *format))
	}

	plan, err := makePlan(*specPath, *prevPath)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, line)
		}
		return 1
	}
	out, err := render(plan, *format, *cluster)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *format != "json" && *format != "yaml" {
		for _, w := range plan.Warnings() {
			fmt.Fprintln(stderr, "warning:", w)
		}
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// readDocument reads a spec or plan file, at most mesh.MaxSpecSize bytes of it: a larger
// file (or an endless one such as /dev/zero) is refused without reading it all.
func readDocument(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, mesh.MaxSpecSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > mesh.MaxSpecSize {
		return nil, fmt.Errorf("%s: larger than %d bytes (mesh.MaxSpecSize)", path, mesh.MaxSpecSize)
	}
	return data, nil
}

func makePlan(specPath, prevPath string) (*mesh.Plan, error) {
	data, err := readDocument(specPath)
	if err != nil {
		return nil, err
	}
	spec, err := mesh.ParseSpec(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", specPath, err)
	}
	var opts mesh.PlanOptions
	if prevPath != "" {
		data, err := readDocument(prevPath)
		if err != nil {
			return nil, err
		}
		if opts.Previous, err = mesh.ParsePlan(data); err != nil {
			return nil, fmt.Errorf("%s: %w", prevPath, err)
		}
	}
	return mesh.NewPlan(spec, &opts)
}

func render(plan *mesh.Plan, format, cluster string) ([]byte, error) {
	switch format {
	case "yaml":
		return yaml.Marshal(plan)
	case "values":
		vals, err := plan.HelmValues(cluster)
		if err != nil {
			return nil, err
		}
		return yaml.Marshal(vals)
	case "mermaid":
		return []byte(plan.Mermaid()), nil
	}
	out, err := json.MarshalIndent(plan, "", "  ")
	return append(out, '\n'), err
}
