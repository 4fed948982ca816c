// Dereferences a map lookup's result without the NULL check bpf_map_lookup_elem demands.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

SEC("xdp")
int xdp_no_null_check(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counter, &key);

	*v += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
