// Seed 000's test case, written for 6.12: ops.enqueue calls scx_bpf_consume(), a kfunc
// that sched_ext allows only in ops.dispatch. 6.12 checks this at run time, through a
// per-operation mask, not at load time: the scheduler loads, is enabled, and is ejected
// the first time enqueue runs. Otherwise a plain one-queue scheduler.
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* Our own queue: scx_bpf_consume() takes user DSQs only. */
#define CAPTEST_DSQ 0x100

s32 BPF_STRUCT_OPS_SLEEPABLE(captest_init)
{
	return scx_bpf_create_dsq(CAPTEST_DSQ, -1);
}

void BPF_STRUCT_OPS(captest_enqueue, struct task_struct *p, u64 enq_flags)
{
	scx_bpf_dispatch(p, CAPTEST_DSQ, SCX_SLICE_DFL, enq_flags);
	/* Not allowed here: consuming moves tasks to the local queue, a dispatch-time act. */
	scx_bpf_consume(CAPTEST_DSQ);
}

void BPF_STRUCT_OPS(captest_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_consume(CAPTEST_DSQ);
}

SCX_OPS_DEFINE(captest_ops,
	       .init = (void *)captest_init,
	       .enqueue = (void *)captest_enqueue,
	       .dispatch = (void *)captest_dispatch,
	       .name = "captest");
