// Log normalization applied before matching, diffing and writing goldens, so that
// values that change from boot to boot or kernel to kernel do not fail scenarios.

import { NORMALIZE_FLAGS } from '../scenario/pattern-grammar.js';
import type { Normalize } from '../scenario/types.js';
import { compileLinear, type LinearRegex } from '../../common/linear-regex.js';

export interface NormalizeRule {
  name: string;
  /** One line for the README. */
  description: string;
  example: { before: string; after: string };
  apply(text: string): string;
}

// Helper ids are small (the bpf_func_id enum, < 1000 for the foreseeable future);
// kfunc ids are BTF type ids in the tens of thousands. Only the latter vary.
const KFUNC_CALL = /\bcall ([^\s#]*)#(\d+)\b/g;
const MIN_BTF_ID = 1000;

// 0xffff + 12 hex digits, or a bare 16-digit ffff... word (dmesg register dumps).
const KADDR = /\b(?:0x)?ffff[0-9a-f]{12}\b/gi;
// The top 1 MiB of the address space is never a kernel address; values there are
// negative numbers and masks the verifier prints (r=0xfffffffffffffffe).
const NOT_KADDR = /^(?:0x)?fffffffffff/i;

// A 64-bit immediate load of a map's address: "(18) r1 = 0xff11000002b8ce00". Kernels
// with 5-level paging (and KASLR) put the direct map at 0xff11..., outside the 0xffff
// rule above; in this instruction a value from 0xff00... up is always an address.
const LD_IMM64_KADDR = /(\(18\) r\d+ = )0xff[0-9a-f]{14}\b/gi;

// "func 'exit' arg0 has btf_id 14927 type STRUCT ...": type ids differ between builds of
// the same source, so a one-line patch renumbers them.
const ARG_BTF_ID = /\bhas btf_id \d+\b/g;

export const BUILTIN_RULES: readonly NormalizeRule[] = [
  {
    name: 'kfunc-btf-id',
    description: `kfunc BTF ids in calls (ids >= ${MIN_BTF_ID}); helper ids stay`,
    example: { before: 'call scx_bpf_consume#135437', after: 'call scx_bpf_consume#<btf_id>' },
    apply: (text) =>
      text.replace(KFUNC_CALL, (m, name: string, id: string) =>
        Number(id) >= MIN_BTF_ID ? `call ${name}#<btf_id>` : m),
  },
  {
    name: 'kernel-address',
    description: 'kernel addresses: 0xffff followed by 12 hex digits, or a bare 16-digit ffff... word (not the top 1 MiB: those are negative numbers)',
    example: { before: 'r1 = 0xffff88810433a800', after: 'r1 = <kaddr>' },
    apply: (text) => text.replace(KADDR, (m) => (NOT_KADDR.test(m) ? m : '<kaddr>')),
  },
  {
    name: 'arg-btf-id',
    description: 'BTF type ids of struct_ops/tracing arguments',
    example: { before: "func 'exit' arg0 has btf_id 14927 type STRUCT 'scx_exit_info'", after: "func 'exit' arg0 has btf_id <btf_id> type STRUCT 'scx_exit_info'" },
    apply: (text) => text.replace(ARG_BTF_ID, 'has btf_id <btf_id>'),
  },
  {
    name: 'map-address',
    description: 'map addresses loaded by 64-bit immediates ((18) rN = 0xff...), wherever the direct map lies',
    example: { before: '4: (18) r1 = 0xff1100000289ce00', after: '4: (18) r1 = <kaddr>' },
    apply: (text) => text.replace(LD_IMM64_KADDR, (_m, pre: string) => `${pre}<kaddr>`),
  },
  {
    name: 'verification-time',
    description: 'the verifier\'s timing line',
    example: { before: 'verification time 988 usec', after: 'verification time <N> usec' },
    apply: (text) => text.replace(/verification time \d+ usec/g, 'verification time <N> usec'),
  },
];


const rules = new Map<string, LinearRegex>();

/** A normalize: rule's regex, compiled and guarded once (the schema refuses bad ones first). */
function compileRule(source: string): LinearRegex {
  let re = rules.get(source);
  if (!re) {
    try {
      re = compileLinear(source, NORMALIZE_FLAGS);
    } catch (e) {
      throw new Error(`normalize: ${(e as Error).message}`);
    }
    rules.set(source, re);
  }
  return re;
}

/** Strips \r and trailing blanks, applies the built-in rules, then the scenario's own. */
export function normalizeLog(text: string, extra: Normalize[] = []): string {
  let out = text.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '');
  for (const rule of BUILTIN_RULES) out = rule.apply(out);
  for (const rule of extra) out = compileRule(rule.match).replaceAll(out, rule.replace);
  return out;
}
