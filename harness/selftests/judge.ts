// One selftest case (a program in one mode) judged as test_loader.c's run_subtest does:
// the load verdict first (a wrong one ends the case), then the __msg patterns over the
// verifier log, __xlated over the translated program, and __retval from a test run.
import { createHash } from 'node:crypto';
import { checkPatterns, programStats } from '../expect/check.js';
import { normalizeLog } from '../expect/normalize.js';
import { errnoName } from '../bpftool/errno.js';
import type { Failure, ProgramResult, ProgramStats } from '../results/model.js';
import type { CaseOutput } from './loader.js';
import { POINTER_VALUE, runsProgram, type Mode, type ProgramSpec } from './spec.js';

/** veristat's stats from the log's last "processed N insns ..." line, else the kernel's verified_insns. */
function caseStats(log: string, verifiedInsns: number): ProgramStats | undefined {
  return programStats(log) ?? (verifiedInsns > 0 ? { insns: verifiedInsns } : undefined);
}

const errnoText = (n: number) => errnoName(String(n)) ?? `errno ${n}`;

/** Why a case runs only partly here and ends as a skip when nothing else failed (test_progs built without LLVM does the same). */
export const JITED_SKIP = '__jited needs an LLVM disassembler for the JIT image, which the selftest loader is built without (test_progs without LLVM skips it too)';

export function judgeCase(file: string, spec: ProgramSpec, mode: Mode, out: CaseOutput): Omit<ProgramResult, 'artifact'> {
  const m = spec[mode];
  const base = {
    file, prog: spec.name, mode, ...(spec.description !== spec.name ? { description: spec.description } : {}),
  };
  if (out.skip) return { ...base, outcome: 'skip', reason: out.skip, failures: [] };
  const loaded = out.err === 0;
  const stats = caseStats(out.stats ?? out.log, out.verifiedInsns);
  const facts = {
    loaded, ...(loaded ? {} : { errno: errnoText(out.err) }), ...(stats ? { stats } : {}), durationUs: out.us,
    ...(out.log ? { logHash: createHash('sha256').update(normalizeLog(out.log)).digest('hex').slice(0, 16) } : {}),
    ...(out.retval !== undefined ? { retval: out.retval } : {}),
  };
  const failures: Failure[] = [];
  if (m.expectFailure && loaded) {
    failures.push({ expectation: 'verdict', message: 'the program loaded, but its tags say the load must fail (__failure)' });
  } else if (!m.expectFailure && !loaded) {
    failures.push({ expectation: 'verdict', message: `the load failed (${errnoText(out.err)}), but its tags say it must succeed (__success)` });
  }
  // A wrong verdict ends the case, as in test_loader; the log is still attached.
  if (!failures.length) {
    failures.push(...checkPatterns('msg', m.msgs, out.log, { raw: true }));
    if (m.xlated.length && loaded) {
      if (out.xlated === undefined) failures.push({ expectation: 'xlated', message: `the translated program could not be read (${errnoText(out.xlatedErr ?? 0)})` });
      else failures.push(...checkPatterns('xlated', m.xlated.map((p) => p.pattern), out.xlated, { onNextLine: m.xlated.map((p) => p.onNextLine), raw: true }));
    }
    if (runsProgram(m) && loaded) {
      if (out.runErr !== undefined) failures.push({ expectation: 'retval', message: `BPF_PROG_TEST_RUN failed (${errnoText(out.runErr)})` });
      else if (out.retval !== m.retval && m.retval !== POINTER_VALUE) {
        failures.push({ expectation: 'retval', message: `retval ${out.retval}, expected ${m.retval} (__retval)` });
      }
    }
  }
  if (failures.length) return { ...base, ...facts, outcome: 'fail', reason: failures[0]!.message, failures };
  if (m.jited.length) return { ...base, ...facts, outcome: 'skip', reason: JITED_SKIP, failures: [] };
  return { ...base, ...facts, outcome: 'pass', failures: [] };
}
