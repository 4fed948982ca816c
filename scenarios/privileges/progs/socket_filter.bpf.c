// The least privileged program type: a socket filter that accepts nothing.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int drop_all(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
