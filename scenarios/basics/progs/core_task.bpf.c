// An fentry program built against the kernel's own vmlinux.h (its BTF): it reads the
// current task's tgid through the BTF-typed pointer bpf_get_current_task_btf() returns,
// which the verifier tracks as a trusted task_struct pointer.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

int last_tgid;

SEC("fentry/do_nanosleep")
int BPF_PROG(on_nanosleep)
{
	struct task_struct *task = bpf_get_current_task_btf();

	last_tgid = task->tgid;
	return 0;
}
