// Matrix cell: scx_bpf_reenqueue_local() from ops.enqueue.
#define KFUNC_REENQUEUE_LOCAL
#define IN_ENQUEUE
#define CELL_NAME "reenqueue_local_enqueue"
#include "matrix.h"
