// Matrix cell: scx_bpf_consume() from ops.enqueue.
#define KFUNC_CONSUME
#define IN_ENQUEUE
#define CELL_NAME "consume_enqueue"
#include "matrix.h"
