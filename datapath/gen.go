package datapath

// The BPF objects are built with Debian's clang-14 for the little-endian BPF target; the
// generated lb_bpfel.go, lb_bpfel.o, egressgw_bpfel.go and egressgw_bpfel.o are committed.
//go:generate go tool bpf2go -cc clang-14 -tags linux -target bpfel -type svc_key -type svc_val -type backend -type revnat_key -type revnat_val -type egress_key -type egress_val -type l2_key -type l2_val -type svc_key6 -type backend6 -type revnat_key6 -type revnat_val6 -type l2_key6 lb lb.c -- -I/usr/include/x86_64-linux-gnu -O2 -Wall -Werror
//go:generate go tool bpf2go -cc clang-14 -tags linux -target bpfel -type nat_key -type nat_val -type egw_cfg egressgw egressgw.c -- -I/usr/include/x86_64-linux-gnu -O2 -Wall -Werror

// The XDP floor of BenchmarkXDP (testdata/xdpfloor.c), for the benchmark only: its output
// is xdpfloor_bpfel_test.go and xdpfloor_bpfel_test.o.
//go:generate go tool bpf2go -cc clang-14 -tags linux -target bpfel -output-suffix _test -type floor_key -type floor_val xdpfloor testdata/xdpfloor.c -- -I/usr/include/x86_64-linux-gnu -O2 -Wall -Werror
