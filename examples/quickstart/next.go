package main

// nextSteps says what the quickstart left out because it needs root or a cluster, and
// how to run it.
func nextSteps(p *progress) {
	p.say("Nothing above needed root or a cluster. These do:")
	p.say("- Connect real clusters (two kubeconfig contexts; Cilium installed or upgraded with Helm):")
	p.say("    go run ./examples/connect -cluster tokyo=1@CONTEXT_TOKYO -cluster hk=2@CONTEXT_HK -dry-run")
	p.say("  -dry-run prints every Helm value that would change and writes nothing; drop it to connect.")
	p.say("- Program the service maps of a plain Linux node with ciliumkit's BPF programs (root: CAP_BPF, CAP_NET_ADMIN):")
	p.say("    sudo go run ./examples/thin-agent -config FILE   # config format: go doc ./examples/thin-agent")
	p.say("- Run an egress gateway node agent (root and a cluster): go run ./examples/egress-gateway -h")
	p.say("- Everything for real, as CI does (root, Debian: real kube-apiserver, Cilium's clustermesh-apiserver, BPF in the kernel):")
	p.say("    .ci/run")
}
