/*
 * One cell of the (kfunc x callback) matrix: a FIFO scheduler on the global DSQ whose
 * callback IN_<OP> also makes the cell's call, CELL_CALL(task), once per invocation.
 * The cell files are written by ../generate.ts; this header is the scheduler they share.
 *
 * What the generated file defines:
 *   CELL_NAME                 the scheduler's name (what sched_ext prints)
 *   IN_<OP>                   the callback that makes the call
 *   CELL_CALL(task)           the call; task is the callback's task argument, or the
 *                             current task in callbacks that have none
 *   CELL_REPLACES_DISPATCH    in ops.enqueue, the call is the task's dispatch (a second
 *                             one would be a double dispatch, which is an error of its own)
 *   CELL_USES_VTIME_DSQ       the call dispatches to VTIME_DSQ, which ops.dispatch then
 *                             consumes (vtime ordering is refused on built-in DSQs)
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* User DSQs: the kfuncs that take a DSQ take user ones (built-in IDs are refused there). */
#define MATRIX_DSQ 0x100
#define VTIME_DSQ 0x101

s32 BPF_STRUCT_OPS(cell_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
#ifdef IN_SELECT_CPU
	CELL_CALL(p);
#endif
	return prev_cpu;
}

void BPF_STRUCT_OPS(cell_enqueue, struct task_struct *p, u64 enq_flags)
{
#ifdef IN_ENQUEUE
	CELL_CALL(p);
#endif
#ifndef CELL_REPLACES_DISPATCH
	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
#endif
}

void BPF_STRUCT_OPS(cell_dispatch, s32 cpu, struct task_struct *prev)
{
#ifdef IN_DISPATCH
	CELL_CALL(bpf_get_current_task_btf());
#endif
#ifdef CELL_USES_VTIME_DSQ
	scx_bpf_consume(VTIME_DSQ);
#endif
}

#ifdef IN_CPU_RELEASE
/* Defined only in its own cells: with it, every switch to a higher class calls it. */
void BPF_STRUCT_OPS(cell_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	CELL_CALL(bpf_get_current_task_btf());
}
#endif

void BPF_STRUCT_OPS(cell_running, struct task_struct *p)
{
#ifdef IN_RUNNING
	CELL_CALL(p);
#endif
}

void BPF_STRUCT_OPS(cell_enable, struct task_struct *p)
{
#ifdef IN_ENABLE
	CELL_CALL(p);
#endif
}

s32 BPF_STRUCT_OPS(cell_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
#ifdef IN_INIT_TASK
	CELL_CALL(p);
#endif
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(cell_init)
{
	s32 ret = scx_bpf_create_dsq(MATRIX_DSQ, -1);

	if (!ret)
		ret = scx_bpf_create_dsq(VTIME_DSQ, -1);
#ifdef IN_INIT
	/* A sleepable callback: the DSQ iterator wants an RCU read-side section. */
	bpf_rcu_read_lock();
	CELL_CALL(bpf_get_current_task_btf());
	bpf_rcu_read_unlock();
#endif
	return ret;
}

SCX_OPS_DEFINE(cell_ops,
	       .init = (void *)cell_init,
	       .init_task = (void *)cell_init_task,
	       .enable = (void *)cell_enable,
	       .select_cpu = (void *)cell_select_cpu,
	       .enqueue = (void *)cell_enqueue,
	       .dispatch = (void *)cell_dispatch,
#ifdef IN_CPU_RELEASE
	       .cpu_release = (void *)cell_cpu_release,
#endif
	       .running = (void *)cell_running,
	       .name = CELL_NAME);
