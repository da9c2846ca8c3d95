package ciliumproc

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ciliumkit/ciliumkit/mesh/clustermesh"
)

// start lays out the pod's files and runs its init containers, then etcd (until it answers
// the admin certificate), then the other containers.
func (p *Pod) start(ctx context.Context) error {
	if err := p.prepare(ctx); err != nil {
		return err
	}
	spec := &p.Rendered.Deployment.Spec.Template.Spec
	for _, ic := range spec.InitContainers {
		if err := p.containers[ic.Name].runToCompletion(ctx); err != nil {
			return err
		}
	}
	order := []string{Etcd}
	for _, c := range spec.Containers {
		if c.Name != Etcd && p.containers[c.Name] != nil {
			order = append(order, c.Name)
		}
	}
	for _, n := range order {
		c := p.containers[n]
		if c == nil {
			continue
		}
		if err := c.run(); err != nil {
			return err
		}
		if n == Etcd {
			if err := p.waitEtcd(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitEtcd waits until the pod's etcd serves the admin certificate.
func (p *Pod) waitEtcd(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cli, err := p.EtcdClient(ctx, clustermesh.SecretAdminCert)
	if err != nil {
		return err
	}
	defer cli.Close()
	var last error
	for {
		rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
		_, last = cli.Get(rctx, "cilium/.heartbeat")
		rcancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("etcd of pod %s not serving the admin certificate: %v\n%s", p.Cluster.Name, last, p.LogTail(Etcd, 30))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// prepare writes the volumes, the hosts file and the image's files, and builds each
// container's argv, env and mount script.
func (p *Pod) prepare(ctx context.Context) error {
	for _, d := range []string{"logs", "volumes", "containers", "image"} {
		if err := os.MkdirAll(filepath.Join(p.Dir, d), 0o755); err != nil {
			return err
		}
	}
	podSpec := &p.Rendered.Deployment.Spec.Template.Spec
	objs := objects{secrets: map[string]*corev1.Secret{}, configMaps: p.Rendered.ConfigMaps}
	for n, s := range p.Rendered.Secrets {
		objs.secrets[n] = s
	}
	for n, s := range p.CertSecrets {
		objs.secrets[n] = s
	}
	vols, err := materialize(filepath.Join(p.Dir, "volumes"), podSpec, objs)
	if err != nil {
		return fmt.Errorf("pod %s: %w", p.Cluster.Name, err)
	}
	image, err := p.imageFiles()
	if err != nil {
		return err
	}
	hosts := filepath.Join(p.Dir, "image", "etc-hosts")
	if err := os.WriteFile(hosts, hostsFile(p.Name, podSpec.HostAliases), 0o644); err != nil {
		return err
	}
	base := map[string]string{
		"PATH":            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME":            "/",
		"HOSTNAME":        p.Name,
		"GOPS_CONFIG_DIR": "/tmp/gops", // the image's ENV
	}
	var extra []bind
	if p.spec.Kube != nil {
		dir, err := p.kubeAccess(ctx)
		if err != nil {
			return err
		}
		extra = append(extra, bind{target: "/var/run/secrets/kubernetes.io/serviceaccount", source: dir, readOnly: true})
		for k, v := range map[string]string{
			"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": fmt.Sprint(kubePort),
			"KUBERNETES_SERVICE_PORT_HTTPS": fmt.Sprint(kubePort), "KUBERNETES_PORT": fmt.Sprintf("tcp://127.0.0.1:%d", kubePort),
		} {
			base[k] = v
		}
	}
	fields := podFields{name: p.Name, namespace: clustermesh.DefaultNamespace, uid: p.UID, node: "node-" + p.Cluster.Name,
		serviceAccount: podSpec.ServiceAccountName, ip: p.podIP()}
	p.containers = map[string]*container{}
	for _, list := range [][]corev1.Container{podSpec.InitContainers, podSpec.Containers} {
		for i := range list {
			c := &list[i]
			if c.Name == APIServer && p.spec.Kube == nil {
				continue // documented: no API server, no apiserver container
			}
			binds := slices.Clone(image)
			binds = append(binds, extra...)
			binds = append(binds, bind{target: "/etc/hosts", source: hosts})
			for _, vm := range c.VolumeMounts {
				src, ok := vols[vm.Name]
				if !ok {
					return fmt.Errorf("pod %s: container %s mounts unknown volume %s", p.Cluster.Name, c.Name, vm.Name)
				}
				if vm.SubPath != "" {
					src = filepath.Join(src, vm.SubPath)
				}
				binds = append(binds, bind{target: vm.MountPath, source: src, readOnly: vm.ReadOnly})
			}
			script, err := mountScript(filepath.Join(p.Dir, "containers", c.Name), binds)
			if err != nil {
				return fmt.Errorf("pod %s: container %s: %w", p.Cluster.Name, c.Name, err)
			}
			env, err := containerEnv(c, base, fields, objs.configMaps, objs.secrets)
			if err != nil {
				return fmt.Errorf("pod %s: %w", p.Cluster.Name, err)
			}
			argv := slices.Clone(c.Command)
			if len(argv) == 0 {
				argv = []string{imageEntrypoint}
			}
			argv = append(argv, c.Args...)
			for j := range argv {
				argv[j] = expand(argv[j], env)
			}
			p.containers[c.Name] = &container{name: c.Name, argv: argv, env: envList(env), script: script,
				logPath: p.LogPath(c.Name), ns: p.ns}
		}
	}
	if p.containers[Etcd] == nil {
		return fmt.Errorf("pod %s: the chart renders no %s container (kvstoremesh.kvstoreMode must be internal)", p.Cluster.Name, Etcd)
	}
	return nil
}

// imageEntrypoint is the clustermesh-apiserver image's ENTRYPOINT.
const imageEntrypoint = "/usr/bin/clustermesh-apiserver"

// imageFiles are the files of the clustermesh-apiserver image the containers use: the two
// binaries, the etcd client config kvstoremesh and clustermesh read, and /var/run/cilium.
func (p *Pod) imageFiles() ([]bind, error) {
	cfg, err := etcdConfigPath()
	if err != nil {
		return nil, err
	}
	runDir := filepath.Join(p.Dir, "image", "var-run-cilium")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, err
	}
	return []bind{
		{target: imageEntrypoint, source: p.bins.ClusterMeshAPIServer, readOnly: true},
		{target: "/usr/bin/etcd", source: p.bins.Etcd, readOnly: true},
		{target: "/var/lib/cilium/etcd-config.yaml", source: cfg, readOnly: true},
		{target: "/var/run/cilium", source: runDir},
	}, nil
}

// kubeAccess prepares the service account volume and the forwarder from the pod's
// KUBERNETES_SERVICE_HOST:PORT to the API server, and returns the volume's directory.
func (p *Pod) kubeAccess(ctx context.Context) (string, error) {
	u, err := url.Parse(p.spec.Kube.Host)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("pod %s: API server host %q: %v", p.Cluster.Name, p.spec.Kube.Host, err)
	}
	if p.kubeToken == "" {
		if p.kubeToken, err = serviceAccount(ctx, p.spec.Kube, p.Rendered); err != nil {
			return "", fmt.Errorf("pod %s: %w", p.Cluster.Name, err)
		}
	}
	ca := p.spec.Kube.CAData
	if len(ca) == 0 && p.spec.Kube.CAFile != "" {
		if ca, err = os.ReadFile(p.spec.Kube.CAFile); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(p.Dir, "volumes", "kube-api-access")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for f, b := range map[string][]byte{"token": []byte(p.kubeToken), "ca.crt": ca, "namespace": []byte(clustermesh.DefaultNamespace)} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return "", err
		}
	}
	f, err := forwardOut(p.ns, fmt.Sprintf("127.0.0.1:%d", kubePort), u.Host)
	if err != nil {
		return "", fmt.Errorf("pod %s: forward to the API server: %w", p.Cluster.Name, err)
	}
	p.outs = append(p.outs, f)
	return dir, nil
}

// podIP is the pod's first link address, or 127.0.0.1 without links.
func (p *Pod) podIP() string {
	var addrs []netip.Addr
	for _, a := range p.Addrs {
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return "127.0.0.1"
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return addrs[0].String()
}
