// as: contexts become util-linux setpriv prefixes run in the guest.
import t from 'tap';
import { privilegePrefix } from '../harness/runner/privilege.js';

t.test('privilege prefixes', async (t) => {
  t.equal(privilegePrefix('root'), '', 'root runs as is');
  t.equal(privilegePrefix('user'),
    '/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- ');
  t.equal(privilegePrefix({ caps: ['bpf', 'perfmon'] }),
    "/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all,+bpf,+perfmon --ambient-caps=-all,+bpf,+perfmon -- ");
  t.equal(privilegePrefix({ token: { cmds: ['prog_load', 'map_create'], progs: ['xdp'], attachs: ['any'] } }),
    '/bin/bpf-harness-token --uid 1000 --cmds prog_load,map_create --progs xdp --attachs any -- ');
});
