// Matrix cell: scx_bpf_reenqueue_local() from ops.dispatch.
#define KFUNC_REENQUEUE_LOCAL
#define IN_DISPATCH
#define CELL_NAME "reenqueue_local_dispatch"
#include "matrix.h"
