// An SSH host as a target backend: one machine running its own kernel, so one target
// at a time; the first connection reads the kernel's config and BTF and then serves the
// first scenarios. --kernel only names whose expect_by_kernel applies to it.
import { BadInputError } from '../../common/errors.js';
import { registerBackend, type BackendFlag, type TargetPool } from '../registry.js';
import type { Target } from '../target.js';
import { selftestTools } from '../helpers/selftest-helper.js';
import { parseSshTarget } from './address.js';
import { hostKernel, type HostKernel } from './kernel.js';
import { defaultKnownHosts } from './known-hosts.js';
import { SshHostTarget, type SshHostOptions } from './target.js';

class SshHostPool implements TargetPool {
  readonly features = { tokenHelper: false };
  readonly capacity = 1;
  private loader?: Promise<{ upload: string }>;

  private constructor(private readonly host: SshHostOptions, private readonly url: string, private readonly hk: HostKernel, private first: Target | undefined) {}

  static async open(host: SshHostOptions, url: string, name: string): Promise<SshHostPool> {
    const first = await SshHostTarget.connect(host);
    try {
      return new SshHostPool(host, url, await hostKernel(first, name), first);
    } catch (e) {
      await first.close();
      throw e;
    }
  }

  get label() {
    return this.url;
  }

  get kernel() {
    return {
      name: this.hk.name,
      config: this.hk.config ? { file: this.hk.config } : { missing: `${this.first?.describe ?? this.url} does not expose its kernel config (/proc/config.gz or /boot/config-RELEASE)` },
      includeDirs: this.hk.includeDirs ?? [], release: this.hk.release, origin: this.hk.origin, btf: this.hk.btf, ...(this.hk.tree ? { tree: this.hk.tree } : {}),
    };
  }

  /** Built from the host kernel's tree (once per pool) and sent along with each scenario: a host has no loader of ours. */
  selftestLoader() {
    const tree = this.hk.tree;
    if (!tree) return Promise.reject(new Error('selftestLoader: the host kernel has no tree'));
    return (this.loader ??= selftestTools(tree).then((t) => ({ upload: t.loader })));
  }

  async acquire() {
    const t = this.first ?? (await SshHostTarget.connect(this.host));
    this.first = undefined;
    return t;
  }

  async close() {
    await this.first?.close();
    this.first = undefined;
  }
}

interface SshConfig {
  url: string;
  host: SshHostOptions;
}

const SSH_FLAGS = [
  { name: 'identity', kind: 'text', value: 'keyfile', commands: ['run', 'compare'],
    describe: 'ssh targets: private key (default: ssh-agent, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa)' },
  { name: 'known-hosts', kind: 'text', value: 'file', commands: ['run', 'compare'],
    describe: 'ssh targets: known_hosts file the host key must be in (default: ~/.ssh/known_hosts)' },
  { name: 'accept-new-host-key', kind: 'switch', commands: ['run', 'compare'],
    describe: 'ssh targets: add the key of a host not yet in known_hosts (a changed key is always refused)' },
] as const satisfies readonly BackendFlag[];

registerBackend({
  name: 'ssh',
  describe: '--target ssh://user@host',
  // Any URL: parseSshTarget names what is wrong with one that is not ssh://.
  claims: (target) => /^[a-z][a-z0-9+.-]*:/i.test(target),
  flags: SSH_FLAGS,
  kernelsAreRecipes: false,
  configure: (target, o): SshConfig => ({
    url: target,
    host: { address: parseSshTarget(target), identity: o.identity, knownHosts: o.knownHosts ?? defaultKnownHosts(), acceptNewHostKey: o.acceptNewHostKey },
  }),
  planKernels: (config, kernels) => {
    if (kernels.length > 1) {
      throw new BadInputError(`--kernel given ${kernels.length} times with --target ${config.url}: a host runs one kernel`, {
        hint: 'give at most one --kernel: the recipe name whose expect_by_kernel entries apply to the host',
      });
    }
    // Two hosts on one address (guests behind forwarded ports) keep apart by the port.
    const { host, port } = config.host.address;
    return [kernels[0] ?? `ssh:${host}${port === 22 ? '' : `:${port}`}`];
  },
  open: (config, kernel) => SshHostPool.open(config.host, config.url, kernel),
});
