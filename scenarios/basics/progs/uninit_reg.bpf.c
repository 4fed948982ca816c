// Returns R3 which the program never wrote: at entry only R1 (ctx) and R10 (frame pointer)
// are initialized, so the verifier refuses the read. Written in BPF assembly, as the
// kernel's verifier selftests do, because clang never emits such a read from C.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
__attribute__((naked)) int xdp_uninit_r3(void)
{
	asm volatile("r0 = r3;"
		     "exit;");
}

char LICENSE[] SEC("license") = "GPL";
