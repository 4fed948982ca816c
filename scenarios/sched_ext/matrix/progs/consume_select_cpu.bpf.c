// Matrix cell: scx_bpf_consume() from ops.select_cpu.
#define KFUNC_CONSUME
#define IN_SELECT_CPU
#define CELL_NAME "consume_select_cpu"
#include "matrix.h"
