// bpf-harness init DIR: a starter suite in a folder of the user's, which runs as written:
// a scenario, its program, a kernel recipe kept beside it that extends a shipped one, and
// a README saying how to grow it.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BadInputError } from '../../../common/errors.js';
import { EXIT } from '../exit-codes.js';

const RECIPE = `# A kernel of this suite's own, found by name from its scenarios (kernels/ beside or
# above them). It extends the shipped debian-6.12 (Debian's prebuilt 6.12) and changes
# nothing yet, so it boots without a build. To test a patch series, extend a recipe that
# builds from source instead, e.g.
#   extends: scx-6.12
#   patches: [patches/my-series]     # a folder of git format-patch files, beside this file
name: my-kernel
extends: debian-6.12
`;

const PROGRAM = `// A socket filter that bounds-checks before reading: the verifier accepts it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int keep_short(struct __sk_buff *skb)
{
	/* Keep packets of up to 1500 bytes, drop the rest. */
	return skb->len <= 1500 ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
`;

const SCENARIO = `# yaml-language-server: $schema=SCHEMA
# What the verifier says about progs/keep_short.bpf.c on kernels/my-kernel.yaml.
name: keep_short loads and the verifier reads it as a socket filter
tags: [starter]
kernels: [my-kernel]
programs:
  keep_short: progs/keep_short.bpf.c
steps:
  - id: load
    load: keep_short
    expect:
      loaded: true
      log: ["processed {{[0-9]+}} insns"]
      insns: "<= 50"
  - id: shown
    # Pins of a load step live under $BPF_HARNESS_PINS/<step id>/.
    run: bpftool prog show pinned $BPF_HARNESS_PINS/load/keep_short
    expect:
      stdout: ["socket_filter  name keep_short"]
`;

function readme(dir: string, harness: string): string {
  return `# A bpf-harness suite

- \`first.yaml\`: a scenario: load \`progs/keep_short.bpf.c\` with bpftool in a guest and
  check the verifier's verdict, log and statistics.
- \`kernels/my-kernel.yaml\`: the kernel it runs on, a recipe of this suite's own that
  extends the shipped \`debian-6.12\`. Recipes are looked for beside a scenario, in a
  \`kernels/\` folder beside it or above it (up to the repository's root), in the folders
  of \`BPF_HARNESS_KERNELS\`, then among the shipped ones.

Run it (from anywhere):

    ${harness} run ${dir}

List what would run, or check the files, without booting anything:

    ${harness} list ${dir}
    ${harness} validate ${dir}

The scenario format is in the harness's README ("Scenario files"); its JSON schema,
\`scenarios/schema.json\` in the harness, gives editors completion.
`;
}

export function initCommand(dirArg: string, harnessRoot: string): number {
  const dir = resolve(dirArg);
  if (existsSync(dir) && readdirSync(dir).length) throw new BadInputError(`${dirArg}: exists and is not empty`, { hint: 'name a new or empty folder' });
  const schema = relative(dir, join(harnessRoot, 'scenarios', 'schema.json'));
  const harness = relative(process.cwd(), join(harnessRoot, 'bpf-harness')) || join(harnessRoot, 'bpf-harness');
  const shown = relative(process.cwd(), dir) || '.';
  mkdirSync(join(dir, 'progs'), { recursive: true });
  mkdirSync(join(dir, 'kernels'), { recursive: true });
  writeFileSync(join(dir, 'kernels', 'my-kernel.yaml'), RECIPE);
  writeFileSync(join(dir, 'progs', 'keep_short.bpf.c'), PROGRAM);
  writeFileSync(join(dir, 'first.yaml'), SCENARIO.replace('SCHEMA', schema));
  // The README names both by absolute path, so its commands work from any folder.
  writeFileSync(join(dir, 'README.md'), readme(dir, join(harnessRoot, 'bpf-harness')));
  const cmd = harness.startsWith('.') || harness.startsWith('/') ? harness : `./${harness}`;
  process.stdout.write(`wrote a starter suite in ${shown}: first.yaml, progs/keep_short.bpf.c, kernels/my-kernel.yaml, README.md\nrun it: ${cmd} run ${shown}\n`);
  return EXIT.ok;
}
