// A BTF-based tracing program (fentry): the target is resolved in the kernel's BTF at
// load time; like kprobes it needs CAP_PERFMON.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("fentry/do_nanosleep")
int at_nanosleep(unsigned long long *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
