// Matrix cell: scx_bpf_reenqueue_local() from ops.select_cpu.
#define KFUNC_REENQUEUE_LOCAL
#define IN_SELECT_CPU
#define CELL_NAME "reenqueue_local_select_cpu"
#include "matrix.h"
