// The backends a run can use; each registers itself when its module loads.
import '../qemu/pool.js';
import '../ssh-host/pool.js';

export { backendFor } from '../registry.js';
