// The kernel recipe v1 (README "Kernels") as a zod schema. Paths stay as
// written (relative to the recipe file); the kernel builder resolves them.
import { z } from 'zod';
import { strict } from '../../common/yaml-file.js';

export const KERNEL_MSG = 'a kernel name is letters, digits and . _ + - (starting with a letter or digit)';
const KERNEL_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
/** A kernel's name, as recipes give it and scenarios and --kernel use it. */
export const kernelName = z.string().regex(KERNEL_RE, { error: KERNEL_MSG });
/** Hints for the recipe schema's format messages. */
export const RECIPE_HINTS: Record<string, string> = { [KERNEL_MSG]: 'name a kernel as its recipe names it (kernels/NAME.yaml)' };

const SOURCES = ['debian-source', 'git', 'path', 'debian-image'] as const;

/**
 * A value that reaches git or apt as an argument. One that starts with "-" would be read
 * as an option there (ref: --upload-pack=CMD runs CMD), so it is refused here; the
 * commands also take it after "--".
 */
const argument = (noun: string, example: string) => z.string().min(1).superRefine((s, ctx) => {
  if (s.startsWith('-'))
    ctx.addIssue({ code: 'custom', message: `a ${noun} cannot start with "-" (on a command line it would be read as an option)`, params: { hint: `write the ${noun} itself, e.g. ${example}` } });
});

const source = strict({
  'debian-source': argument('package name', 'linux-source-6.12').superRefine((s, ctx) => {
    if (s.includes('=') && !/^[^=]+=[0-9][A-Za-z0-9.+~:-]*$/.test(s))
      ctx.addIssue({ code: 'custom', message: `"${s}" is not PACKAGE or PACKAGE=VERSION`, params: { hint: 'e.g. linux-source-6.12, or linux-source-6.12=6.12.117-1~deb12u1 to pin a version apt has (apt-cache madison linux-source-6.12)' } });
  }).optional().describe("Debian's source package, e.g. linux-source-6.12 (offline default): the version apt would install, or pinned as linux-source-6.12=6.12.117-1~deb12u1."),
  git: strict({
    url: argument('repository URL', 'https://git.kernel.org/pub/scm/linux/kernel/git/bpf/bpf-next.git').describe('Repository URL.'),
    ref: argument('git ref', 'master, v6.12 or a commit id').describe('Branch, tag or commit.'),
  })
    .optional()
    .describe('A git tree.'),
  path: z.string().min(1).optional().describe('A local kernel tree, relative to this file.'),
  'debian-image': argument('package name', 'linux-image-6.12.117+deb12-amd64').optional().describe('A prebuilt Debian kernel package, e.g. linux-image-6.12.117+deb12-amd64 (no build).'),
})
  .meta({ description: 'Where the kernel comes from: exactly one of debian-source, git, path, debian-image.', oneOf: SOURCES.map((k) => ({ required: [k] })) })
  .superRefine((s, ctx) => {
    const given = SOURCES.filter((k) => s[k] !== undefined);
    if (given.length === 0)
      ctx.addIssue({ code: 'custom', message: `no source given (one of ${SOURCES.join(', ')})`, params: { hint: 'add e.g. debian-source: linux-source-6.12' } });
    else if (given.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: [given[1]!],
        message: `both "${given[0]}" and "${given[1]}" given; a recipe has exactly one source`,
        params: { at: 'key', hint: 'keep one source; make a second recipe for the other' },
      });
  });

const TREE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+$/;
const treePath = (what: string) => strict({
  tree: z.string().regex(TREE_PATH, { error: 'expected a relative path inside the kernel tree' }).describe(what),
});

const config = strict({
  base: z.string().min(1).describe('tinyconfig | defconfig | a .config path (relative to this file).'),
  fragments: z.array(z.union([z.string().min(1), treePath("A fragment of the kernel's own tree, e.g. tools/testing/selftests/bpf/config.")]))
    .default([])
    .describe('Config fragments merged in order: paths relative to this file, or {tree: PATH} in the kernel tree.'),
  drop: z.record(z.string().regex(/^CONFIG_[A-Za-z0-9_]+$/, { error: 'expected an option name like CONFIG_FOO' }), z.string().min(1, { error: 'give the reason' }))
    .default({})
    .describe('Options the fragments ask for that cannot be met here, each with why: left out of the merge (our copy of each fragment says so).'),
}).describe('The kernel configuration.');

export const recipeSchema = strict({
  name: kernelName.describe('The kernel name scenarios and --kernel use; the file is kernels/NAME.yaml.'),
  extends: kernelName.optional().describe('Inherit everything from this recipe, then add.'),
  source: source.optional(),
  config: config.optional(),
  patches: z
    .array(
      z.union([
        z.string().min(1),
        strict({ lore: z.string().regex(/^<?(?!-)[^\s<>]+@[^\s<>]+>?$/, { error: 'expected a Message-ID like 20250116.1234-1-someone@example.com' }).describe('Message-ID of a patch or cover letter on lore.kernel.org, fetched with b4 (network needed once; cached).') }),
      ]),
    )
    .default([])
    .describe('Dirs of *.patch or mbox files (relative to this file), or {lore: MSGID}; applied in order with git am --3way.'),
  modules: z.array(strict({
    tree: z.string().regex(TREE_PATH, { error: 'expected a relative path inside the kernel tree' }).describe("An out-of-tree module's directory in the kernel tree, e.g. tools/testing/selftests/bpf/bpf_testmod."),
    boot: z.boolean().default(true).describe('Loaded in its guests at boot (false: only installed, for a test that loads it itself, as test_progs does bpf_test_no_cfi.ko).'),
  }))
    .default([])
    .describe('Modules built from the tree against this kernel (needs CONFIG_MODULES=y), installed in its guests, and loaded at boot unless boot: false.'),
})
  .meta({ title: 'bpf-harness kernel recipe', description: 'How to get a kernel: its source, config and patches, or a recipe to extend.' })
  .superRefine((r, ctx) => {
    if (r.extends !== undefined && r.extends === r.name)
      ctx.addIssue({ code: 'custom', path: ['extends'], message: 'a recipe cannot extend itself', params: { hint: 'name the recipe to inherit from' } });
    const prebuilt = r.source?.['debian-image'] !== undefined;
    if (r.extends === undefined && r.source === undefined)
      ctx.addIssue({ code: 'custom', message: 'a recipe without extends: needs source:', params: { hint: 'add source: {debian-source: linux-source-6.12}, or extends: ANOTHER' } });
    if (r.extends === undefined && r.source !== undefined && !prebuilt && r.config === undefined)
      ctx.addIssue({ code: 'custom', message: 'a recipe that builds needs config:', params: { hint: 'add config: {base: tinyconfig, fragments: [...]}' } });
    for (const key of ['config', 'patches', 'modules'] as const)
      if (prebuilt && (key === 'config' ? r.config !== undefined : r[key].length > 0))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" needs a build, but a debian-image source is prebuilt`,
          params: { at: 'key', hint: 'use debian-source for a build, or remove it' },
        });
  });

export type Recipe = z.output<typeof recipeSchema>;
export interface RecipeFile extends Recipe {
  /** Absolute path of the recipe file; relative paths in it resolve against its directory. */
  file: string;
}
