// Matrix cell: scx_bpf_select_cpu_dfl() from ops.dispatch.
#define KFUNC_SELECT_CPU_DFL
#define IN_DISPATCH
#define CELL_NAME "select_cpu_dfl_dispatch"
#include "matrix.h"
