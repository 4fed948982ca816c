// A selftest program's expectations, read from the `comment:test_...` BTF decl tags that
// bpf_misc.h's macros put on its FUNC, with the rules of the kernel tree's
// tools/testing/selftests/bpf/test_loader.c (parse_test_spec): which modes run, what each
// expects, and what the unprivileged mode inherits from the privileged one.
import { archInfo, DEFAULT_ARCH } from '../../common/arch.js';

export type Mode = 'priv' | 'unpriv';

/** test_loader's named __retval values. */
// test_loader.c writes it 0xcafe4all: 0xcafe4a with C's long long suffix.
export const POINTER_VALUE = 0xcafe4a;
const RETVAL_NAMES: Record<string, number> = { INT_MIN: -2147483648, POINTER_VALUE, TEST_DATA_LEN: 64 };

/** __flag names test_loader knows; anything else must be a number. */
export const PROG_FLAGS: Record<string, number> = {
  BPF_F_STRICT_ALIGNMENT: 1 << 0,
  BPF_F_ANY_ALIGNMENT: 1 << 1,
  BPF_F_TEST_RND_HI32: 1 << 2,
  BPF_F_TEST_STATE_FREQ: 1 << 3,
  BPF_F_SLEEPABLE: 1 << 4,
  BPF_F_XDP_HAS_FRAGS: 1 << 5,
  BPF_F_TEST_REG_INVARIANTS: 1 << 7,
};

export type Arch = 'X86_64' | 'ARM64' | 'RISCV64';
/** The architecture programs are judged for (the __arch_* tags' name of it). */
export const HOST_ARCH = archInfo(DEFAULT_ARCH).selftestsArch as Arch;

/** A disassembly pattern: `onNextLine` when it must match on the line right after the previous one. */
export interface LinePattern {
  pattern: string;
  onNextLine: boolean;
}

export interface ModeSpec {
  expectFailure: boolean;
  msgs: string[];
  xlated: LinePattern[];
  jited: LinePattern[];
  /** __retval: run the program with BPF_PROG_TEST_RUN and compare (POINTER_VALUE: any value). */
  retval?: number;
}

export interface ProgramSpec {
  /** The program's (FUNC's) name. */
  name: string;
  /** __description, else the name. */
  description: string;
  modes: Mode[];
  priv: ModeSpec;
  unpriv: ModeSpec;
  /** __log_level (0: libbpf asks for a level-1 log only when the load fails). */
  logLevel: number;
  /** __flag: applied in order over test_progs' testing flags ("+N" sets, "-N" clears). */
  flagOps: string[];
  /** __auxiliary(_unpriv): loaded with the other programs of its mode, never judged alone. */
  auxiliary: boolean;
  /** __arch_*: the architectures it is for (undefined: any). */
  arches?: Arch[];
  /** __btf_path: a BTF file to use for CO-RE instead of the kernel's. */
  btfPath?: string;
  /** Tags that could not be read: the program fails with these as its reason (test_loader: "Can't parse test spec"). */
  problems: string[];
}

const PFX = 'comment:';

/** Where trees' test_loader.c differ, read from the tree itself (compile.ts). */
export interface LoaderRules {
  /** 6.2 and later number repeated tags (test_expect_msg=N=TEXT); 6.1 does not. */
  counted: boolean;
  /** Every __msg is matched in order; 6.1 keeps only the last one. */
  allMsgs: boolean;
  /** test_progs' testing flags (BPF_F_TEST_RND_HI32, ...) are added to every load; 6.1 adds none. */
  testingFlags: boolean;
}

export const CURRENT_RULES: LoaderRules = { counted: true, allMsgs: true, testingFlags: true };

/** The text after "PFX<counter>=" (6.12: test_expect_msg=N=TEXT) or "PFX" (6.1: test_expect_msg=TEXT). */
function dynamicValue(tag: string, pfx: string, counted: boolean): string | undefined {
  if (!tag.startsWith(pfx)) return undefined;
  const rest = tag.slice(pfx.length);
  if (!counted) return rest;
  const eq = rest.indexOf('=');
  return eq < 0 ? undefined : rest.slice(eq + 1);
}

function parseInt32(text: string): number | undefined {
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text.slice(2), 16) : /^[-+]?\d+$/.test(text) ? parseInt(text, 10) : NaN;
  if (Number.isNaN(v)) return undefined;
  // strtol into an int: keep the low 32 bits, signed, as C does.
  return v | 0;
}

const emptyMode = (): ModeSpec => ({ expectFailure: false, msgs: [], xlated: [], jited: [] });

/** parse_test_spec(): `tags` are the FUNC's decl tags in BTF order. */
export function parseSpec(name: string, tags: string[], rules: LoaderRules = CURRENT_RULES): ProgramSpec {
  const { counted } = rules;
  const spec: ProgramSpec = { name, description: name, modes: [], priv: emptyMode(), unpriv: emptyMode(), logLevel: 0, flagOps: [], auxiliary: false, problems: [] };
  const modes = new Set<Mode>();
  let description: string | undefined;
  let hasUnprivResult = false;
  let hasUnprivRetval = false;
  let xlatedNext = { priv: true, unpriv: true };
  let jitNext = { priv: true, unpriv: true };
  let collectJit = false;
  const arches = new Set<Arch>();
  const dyn = (tag: string, key: string) => dynamicValue(tag, `${PFX}${key}=`, counted);

  for (const tag of tags) {
    let v: string | undefined;
    if (tag.startsWith(`${PFX}test_description=`)) description = tag.slice(`${PFX}test_description=`.length);
    else if (tag === `${PFX}test_expect_failure` || tag === `${PFX}test_expect_success`) {
      spec.priv.expectFailure = tag.endsWith('failure');
      modes.add('priv');
    } else if (tag === `${PFX}test_expect_failure_unpriv` || tag === `${PFX}test_expect_success_unpriv`) {
      spec.unpriv.expectFailure = tag.endsWith('failure_unpriv');
      hasUnprivResult = true;
      modes.add('unpriv');
    } else if (tag === `${PFX}test_auxiliary` || tag === `${PFX}test_auxiliary_unpriv`) {
      spec.auxiliary = true;
      modes.add(tag.endsWith('_unpriv') ? 'unpriv' : 'priv');
    } else if ((v = dyn(tag, 'test_expect_msg')) !== undefined) {
      if (!rules.allMsgs) spec.priv.msgs.length = 0;
      spec.priv.msgs.push(v);
      modes.add('priv');
    } else if ((v = dyn(tag, 'test_expect_msg_unpriv')) !== undefined) {
      spec.unpriv.msgs.push(v);
      modes.add('unpriv');
    }
    else if ((v = dyn(tag, 'test_jited')) !== undefined || (v = dyn(tag, 'test_jited_unpriv')) !== undefined) {
      const mode: Mode = tag.startsWith(`${PFX}test_jited_unpriv=`) ? 'unpriv' : 'priv';
      if (!arches.size) spec.problems.push(`__jited used before __arch_*: ${tag}`);
      else if (collectJit) {
        jitNext = pushDisasm(spec[mode].jited, v, jitNext, mode);
        modes.add(mode);
      }
    } else if ((v = dyn(tag, 'test_expect_xlated')) !== undefined) {
      xlatedNext = pushDisasm(spec.priv.xlated, v, xlatedNext, 'priv');
      modes.add('priv');
    } else if ((v = dyn(tag, 'test_expect_xlated_unpriv')) !== undefined) {
      xlatedNext = pushDisasm(spec.unpriv.xlated, v, xlatedNext, 'unpriv');
      modes.add('unpriv');
    } else if (tag.startsWith(`${PFX}test_retval=`)) {
      const r = retval(tag.slice(`${PFX}test_retval=`.length));
      if (r === undefined) spec.problems.push(`cannot read __retval from "${tag}"`);
      else spec.priv.retval = r;
      modes.add('priv');
    } else if (tag.startsWith(`${PFX}test_retval_unpriv=`)) {
      const r = retval(tag.slice(`${PFX}test_retval_unpriv=`.length));
      if (r === undefined) spec.problems.push(`cannot read __retval_unpriv from "${tag}"`);
      else spec.unpriv.retval = r;
      hasUnprivRetval = true;
      modes.add('unpriv');
    } else if (tag.startsWith(`${PFX}test_log_level=`)) {
      const n = parseInt32(tag.slice(`${PFX}test_log_level=`.length));
      if (n === undefined) spec.problems.push(`cannot read __log_level from "${tag}"`);
      else spec.logLevel = n;
    } else if (tag.startsWith(`${PFX}test_prog_flags=`)) {
      let val = tag.slice(`${PFX}test_prog_flags=`.length);
      const clear = val.startsWith('!');
      if (clear) val = val.slice(1);
      const n = PROG_FLAGS[val] ?? parseInt32(val);
      if (n === undefined) spec.problems.push(`cannot read __flag from "${tag}"`);
      else spec.flagOps.push(`${clear ? '-' : '+'}${n >>> 0}`);
    } else if (tag.startsWith(`${PFX}test_arch=`)) {
      const a = tag.slice(`${PFX}test_arch=`.length);
      if (a !== 'X86_64' && a !== 'ARM64' && a !== 'RISCV64') spec.problems.push(`bad arch spec: "${a}"`);
      else {
        arches.add(a);
        collectJit = a === HOST_ARCH;
        jitNext = { priv: true, unpriv: true };
      }
    } else if (tag.startsWith(`${PFX}test_btf_path=`)) spec.btfPath = tag.slice(`${PFX}test_btf_path=`.length);
  }

  if (arches.size) spec.arches = [...arches];
  if (!modes.size) modes.add('priv');
  spec.modes = (['priv', 'unpriv'] as const).filter((m) => modes.has(m));
  spec.description = description ?? name;
  // What the unprivileged mode does not say, it takes from the privileged one.
  if (!hasUnprivResult) spec.unpriv.expectFailure = spec.priv.expectFailure;
  if (!hasUnprivRetval) spec.unpriv.retval = spec.priv.retval;
  if (!spec.unpriv.msgs.length) spec.unpriv.msgs = [...spec.priv.msgs];
  if (!spec.unpriv.xlated.length) spec.unpriv.xlated = spec.priv.xlated.map((p) => ({ ...p }));
  if (!spec.unpriv.jited.length) spec.unpriv.jited = spec.priv.jited.map((p) => ({ ...p }));
  return spec;
}

function retval(text: string): number | undefined {
  return RETVAL_NAMES[text] ?? parseInt32(text);
}

/** push_disasm_msg(): "..." lifts the next-line rule for the pattern after it. */
function pushDisasm(list: LinePattern[], pattern: string, next: Record<Mode, boolean>, mode: Mode): Record<Mode, boolean> {
  if (pattern === '...') return { ...next, [mode]: false };
  list.push({ pattern, onNextLine: next[mode] });
  return { ...next, [mode]: true };
}

/** test_loader's should_do_test_run(): a retval is checked only on a load that must succeed. */
export function runsProgram(m: ModeSpec): boolean {
  return m.retval !== undefined && !m.expectFailure;
}
