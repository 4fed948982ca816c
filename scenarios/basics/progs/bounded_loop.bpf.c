// A loop with a constant trip count: accepted since 5.3's bounded-loop support; the
// verifier walks every iteration, which shows in its processed-instruction count.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counter SEC(".maps");

SEC("xdp")
int xdp_bounded_loop(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counter, &key);
	int i;

	if (!v)
		return XDP_PASS;
	/* Kept as a loop (not unrolled) so the verifier has a back-edge to walk. */
#pragma clang loop unroll(disable)
	for (i = 0; i < 64; i++)
		__sync_fetch_and_add(v, i);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
