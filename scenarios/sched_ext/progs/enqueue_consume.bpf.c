// Seed 000's test case, written for 6.12: ops.enqueue calls scx_bpf_consume(), a kfunc
// that sched_ext allows only in ops.dispatch. 6.12 checks this at run time, through a
// per-operation mask, not at load time: the scheduler loads, is enabled, and is ejected
// the first time enqueue runs.
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

void BPF_STRUCT_OPS(captest_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
	/* Not allowed here: consuming moves tasks to the local queue, a dispatch-time act. */
	scx_bpf_consume(SCX_DSQ_GLOBAL);
}

void BPF_STRUCT_OPS(captest_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_consume(SCX_DSQ_GLOBAL);
}

SCX_OPS_DEFINE(captest_ops,
	       .enqueue = (void *)captest_enqueue,
	       .dispatch = (void *)captest_dispatch,
	       .name = "captest");
