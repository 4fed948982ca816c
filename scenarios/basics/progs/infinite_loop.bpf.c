// A jump to itself: the verifier sees the same state again at the same instruction and
// reports an infinite loop instead of walking it until the 1M-instruction limit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
__attribute__((naked)) int xdp_spin(void)
{
	asm volatile("r0 = 0;"
		     "spin: goto spin;");
}

char LICENSE[] SEC("license") = "GPL";
