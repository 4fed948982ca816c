/*
 * One cell of the (kfunc x callback) matrix: a scheduler whose CALLBACK calls KFUNC
 * once, and does nothing else unusual. The cell's .bpf.c defines KFUNC_* and IN_* and
 * CELL_NAME, then includes this file.
 */
#include <scx/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* A queue of our own: scx_bpf_consume() takes user DSQs only (the built-in global one is an invalid DSQ ID there). */
#define MATRIX_DSQ 0x100

static __always_inline void call_kfunc(void)
{
#if defined(KFUNC_CONSUME)
	scx_bpf_consume(MATRIX_DSQ);
#elif defined(KFUNC_SELECT_CPU_DFL)
	bool idle = false;

	scx_bpf_select_cpu_dfl(bpf_get_current_task_btf(), bpf_get_smp_processor_id(), 0, &idle);
#elif defined(KFUNC_REENQUEUE_LOCAL)
	scx_bpf_reenqueue_local();
#else
#error "define one KFUNC_*"
#endif
}

s32 BPF_STRUCT_OPS(cell_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
#ifdef IN_SELECT_CPU
	call_kfunc();
#endif
	return prev_cpu;
}

void BPF_STRUCT_OPS(cell_enqueue, struct task_struct *p, u64 enq_flags)
{
#ifdef IN_ENQUEUE
	call_kfunc();
#endif
	scx_bpf_dispatch(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

void BPF_STRUCT_OPS(cell_dispatch, s32 cpu, struct task_struct *prev)
{
#ifdef IN_DISPATCH
	call_kfunc();
#endif
}

s32 BPF_STRUCT_OPS_SLEEPABLE(cell_init)
{
	return scx_bpf_create_dsq(MATRIX_DSQ, -1);
}

SCX_OPS_DEFINE(cell_ops,
	       .init = (void *)cell_init,
	       .select_cpu = (void *)cell_select_cpu,
	       .enqueue = (void *)cell_enqueue,
	       .dispatch = (void *)cell_dispatch,
	       .name = CELL_NAME);
