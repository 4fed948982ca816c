// A tracing program type: kprobes read kernel memory, so they need CAP_PERFMON too.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("kprobe/do_nanosleep")
int on_nanosleep(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
