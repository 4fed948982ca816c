// Matrix cell: scx_bpf_consume() from ops.dispatch.
#define KFUNC_CONSUME
#define IN_DISPATCH
#define CELL_NAME "consume_dispatch"
#include "matrix.h"
