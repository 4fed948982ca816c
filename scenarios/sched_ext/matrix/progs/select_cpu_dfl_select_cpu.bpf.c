// Matrix cell: scx_bpf_select_cpu_dfl() from ops.select_cpu.
#define KFUNC_SELECT_CPU_DFL
#define IN_SELECT_CPU
#define CELL_NAME "select_cpu_dfl_select_cpu"
#include "matrix.h"
