// Matrix cell: scx_bpf_select_cpu_dfl() from ops.enqueue.
#define KFUNC_SELECT_CPU_DFL
#define IN_ENQUEUE
#define CELL_NAME "select_cpu_dfl_enqueue"
#include "matrix.h"
