// The backends a run can use; each registers itself when its module loads.
import '../qemu/pool.js';
import '../ssh-host/pool.js';

export { allBackends, backendFor } from '../registry.js';
