// A scenario's selftests on a ready target: cases made from each object's own tags,
// sent to the selftest loader a batch of objects per SSH round trip, and judged.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_ARCH } from '../../common/arch.js';
import { basename, dirname, join } from 'node:path';
import { InfraError } from '../../common/errors.js';
import { emit } from '../../common/progress.js';
import type { ProgramResult } from '../results/model.js';
import type { Scenario } from '../scenario/types.js';
import type { SelftestLoader } from '../../vm/registry.js';
import type { Target } from '../../vm/target.js';
import { shellQuote } from '../../vm/transport/ssh.js';
import type { Compiled } from './compile.js';
import { JITED_SKIP, judgeCase } from './judge.js';
import { loaderInput, parseLoaderOutput, type LoaderCase, type LoaderObject } from './loader.js';
import { readObject, type ObjectPrograms } from './object.js';
import type { RunnerOptions } from './runner-options.js';
import { HOST_ARCH, parseSpec, runsProgram, type LoaderRules, type Mode, type ProgramSpec } from './spec.js';
import type { LinearRegex } from '../../common/linear-regex.js';

/** What the runner prepared on the host for one scenario on one kernel. */
export interface SelftestPlan {
  files: Compiled[];
  /** What the tree's test_loader.c does, where trees differ. */
  rules: LoaderRules;
  loader: SelftestLoader;
  /** object name -> what the tree's prog_tests runner does around it. */
  runnerOptions: RunnerOptions;
  /** --grep, when it selected programs rather than the scenario: FILE/PROG or the description must match. */
  programGrep?: LinearRegex;
  /** --exclude: programs whose FILE/PROG or description matches are left out, as test_progs' -d deny list. */
  programExclude?: LinearRegex;
  /** __btf_path NAME.bpf.o: the tree's progs/NAME.c built like the rest, or why not. */
  btfFile(name: string): Promise<{ object: string } | { error: string }>;
}

export interface SelftestContext {
  target: Target;
  scenario: Scenario;
  kernel: string;
  plan: SelftestPlan;
  artifactDir: string;
  artifactRel: string;
  /** The scenario's own directory on the target (removed after it). */
  workDir: string;
  /** Guests: the harness may lift kernel.unprivileged_bpf_disabled for unpriv cases and put it back. */
  mayChangeSysctl: boolean;
}

/** Objects per SSH round trip: few enough that a loader dying takes little with it. */
const BATCH = 8;
const UNPRIV_SYSCTL = '/proc/sys/kernel/unprivileged_bpf_disabled';

export interface Pending {
  file: string;
  spec: ProgramSpec;
  mode: Mode;
  caseId?: string;
  /** Decided on the host: a skip or a failure with its reason. */
  decided?: ProgramResult;
}

/** The deny and override keys that name a case: FILE/PROG for every mode, or with " @unpriv" for that one. */
const keys = (file: string, prog: string, mode: Mode) => [`${file}/${prog}${mode === 'unpriv' ? ' @unpriv' : ''}`, `${file}/${prog}`];

/** A result's naming fields, for results decided without the loader. */
const named = (file: string, spec: ProgramSpec, mode: Mode) => ({ file, prog: spec.name, mode, ...(spec.description !== spec.name ? { description: spec.description } : {}) });

const failure = (file: string, spec: ProgramSpec, mode: Mode, expectation: string, message: string): ProgramResult =>
  ({ ...named(file, spec, mode), outcome: 'fail', reason: message, failures: [{ expectation, message }] });

/** The scenario's decisions for a case on a kernel (its recipe's name): denied, skipped on this kernel, unprivileged mode not wanted. */
export function scenarioDecision(scenario: Scenario, kernel: string, file: string, spec: ProgramSpec, mode: Mode): ProgramResult | undefined {
  const base = { ...named(file, spec, mode), failures: [] };
  const names = keys(file, spec.name, mode);
  const denied = names.map((k) => scenario.deny[k]).find(Boolean);
  if (denied) return { ...base, outcome: 'skip', reason: `denied: ${denied}`, denied: true };
  const overrides = scenario.program_overrides[kernel] ?? {};
  const override = names.map((k) => overrides[k]).find(Boolean);
  if (override) return { ...base, outcome: 'skip', reason: override.skip };
  if (mode === 'unpriv' && scenario.unpriv === 'skip') return { ...base, outcome: 'skip', reason: 'unpriv: skip in the scenario' };
  return undefined;
}

/** What the tags alone decide: unreadable tags fail (test_loader: "Can't parse test spec"), another arch skips. */
function tagDecision(file: string, spec: ProgramSpec, mode: Mode): ProgramResult | undefined {
  if (spec.problems.length) return failure(file, spec, mode, 'tags', `cannot read the test spec: ${spec.problems.join('; ')}`);
  if (spec.arches && !spec.arches.includes(HOST_ARCH)) {
    return { ...named(file, spec, mode), outcome: 'skip', reason: `only for ${spec.arches.join(', ')} (__arch_*); this is ${DEFAULT_ARCH}`, failures: [] };
  }
  return undefined;
}

/** Each program's spec from its tags, in the object's (libbpf's) order. */
export const specsOf = (obj: ObjectPrograms, rules: LoaderRules): ProgramSpec[] => obj.programs.map((p) => parseSpec(p.name, obj.tags[p.name] ?? [], rules));

/**
 * test_loader's order: each program that is not auxiliary, its privileged mode then its
 * unprivileged one; a case for the loader unless something decided it on the host.
 */
export function casesFor(file: string, specs: ProgramSpec[], decide: (spec: ProgramSpec, mode: Mode) => ProgramResult | undefined = () => undefined, grep?: LinearRegex, exclude?: LinearRegex): { cases: LoaderCase[]; pending: Pending[] } {
  const cases: LoaderCase[] = [];
  const pending: Pending[] = [];
  const matches = (re: LinearRegex, s: ProgramSpec) => re.test(`${file}/${s.name}`) || re.test(s.description);
  const selected = (s: ProgramSpec) => (!grep || matches(grep, s)) && !(exclude && matches(exclude, s));
  for (const spec of specs.filter((s) => !s.auxiliary && selected(s))) {
    for (const mode of spec.modes) {
      const decided = tagDecision(file, spec, mode) ?? decide(spec, mode);
      if (decided) {
        pending.push({ file, spec, mode, decided });
        continue;
      }
      const id = `${cases.length}`;
      cases.push({
        id, mode, prog: spec.name, logLevel: spec.logLevel, flagOps: spec.flagOps,
        aux: specs.filter((s) => s.auxiliary && s.modes.includes(mode)).map((s) => s.name),
        ...(spec.btfPath ? { btfPath: spec.btfPath } : {}),
        xlated: spec[mode].xlated.length > 0, run: runsProgram(spec[mode]), expectFail: spec[mode].expectFailure,
      });
      pending.push({ file, spec, mode, caseId: id });
    }
  }
  return { cases, pending };
}

/** A file a case names by __btf_path, added to what the loader receives; an error text when it cannot be had. */
async function btfFile(ctx: SelftestContext, path: string, files: Map<string, Buffer>): Promise<string | undefined> {
  if (path.includes('/')) return `__btf_path("${path}"): only files built from the tree's progs/ are supported`;
  const got = await ctx.plan.btfFile(path);
  if ('error' in got) return `__btf_path("${path}"): ${got.error}`;
  files.set(path, readFileSync(got.object));
  return undefined;
}

function compileFailure(c: Extract<Compiled, { error: string }>): ProgramResult {
  const first = c.error.split('\n').find((l) => / error: /.test(l)) ?? c.error.split('\n')[0] ?? '';
  return { file: c.file.name, prog: '(compile)', mode: 'priv', outcome: 'fail', reason: `does not compile: ${first.trim()}`, failures: [{ expectation: 'compile', message: c.error }] };
}

/** The loader's path on the target; sent there first when the target has none of its own. */
async function placeLoader(ctx: SelftestContext): Promise<string> {
  const l = ctx.plan.loader;
  if ('path' in l) return l.path;
  const path = `${ctx.workDir}/bpf-harness-selftest`;
  const r = await ctx.target.exec(`mkdir -p ${shellQuote(ctx.workDir)} && cat > ${shellQuote(path)} && chmod 755 ${shellQuote(path)}`, { input: readFileSync(l.upload), timeoutMs: 120000 });
  if (r.exit !== 0) throw new InfraError(`sending the selftest loader to ${ctx.target.describe} failed (exit ${r.exit}): ${(r.stderr || r.stdout).trim()}`);
  return path;
}

/** How many loaders run at once: one per CPU of the target (guests: their vCPUs, which TCG runs on host threads), at most this many. */
const MAX_PARALLEL = 4;

async function targetCpus(target: Target): Promise<number> {
  const r = await target.exec('nproc', { timeoutMs: 30000 });
  const n = Number.parseInt(r.stdout.trim(), 10);
  return r.exit === 0 && n > 0 ? Math.min(n, MAX_PARALLEL) : 1;
}

/** One batch's objects with their pending cases, or a file that did not compile. */
type Batch = { objects: { obj: LoaderObject; pending: Pending[] }[] } | { compileFailure: ProgramResult };

/** The host's part: each object's cases from its tags, grouped into batches, in the plan's order. */
async function prepareBatches(ctx: SelftestContext): Promise<Batch[]> {
  const batches: Batch[] = [];
  let open: { obj: LoaderObject; pending: Pending[] }[] = [];
  const close = () => {
    if (open.length) batches.push({ objects: open });
    open = [];
  };
  for (const c of ctx.plan.files) {
    if ('error' in c) {
      close();
      batches.push({ compileFailure: compileFailure(c) });
      continue;
    }
    const specs = specsOf(await readObject(c.object), ctx.plan.rules);
    const files = new Map<string, Buffer>();
    // __btf_path files are built (or found missing) before the cases are decided.
    const btfErrors = new Map<string, string>();
    for (const { btfPath: path } of specs) {
      if (path && !btfErrors.has(path) && !files.has(path)) {
        const err = await btfFile(ctx, path, files);
        if (err) btfErrors.set(path, err);
      }
    }
    const { cases, pending } = casesFor(c.file.name, specs, (spec, mode) => {
      const btf = spec.btfPath ? btfErrors.get(spec.btfPath) : undefined;
      return scenarioDecision(ctx.scenario, ctx.kernel, c.file.name, spec, mode) ?? (btf ? failure(c.file.name, spec, mode, 'btf_path', btf) : undefined);
    }, ctx.plan.programGrep, ctx.plan.programExclude);
    const name = basename(c.file.name, '.c');
    const options = [...(ctx.plan.runnerOptions.get(name) ?? []), ...(ctx.plan.rules.testingFlags ? [] : ['notestflags'])];
    open.push({ obj: { name, bytes: readFileSync(c.object), options, cases, files }, pending });
    if (open.length >= BATCH) close();
  }
  close();
  return batches;
}

/**
 * Lifts kernel.unprivileged_bpf_disabled for the whole run when a case needs it (test_loader
 * needs 0 for unpriv cases) and returns what puts it back; once for all batches, since
 * batches run side by side. Guests only: a shared host's sysctls are not ours.
 */
async function liftUnprivSysctl(ctx: SelftestContext, batches: Batch[]): Promise<() => Promise<void>> {
  const unpriv = batches.some((b) => 'objects' in b && b.objects.some((o) => o.obj.cases.some((c) => c.mode === 'unpriv')));
  if (!unpriv || !ctx.mayChangeSysctl) return async () => {};
  // A value of 1 cannot be lowered: the unpriv cases then fail on their own, as under test_progs.
  const r = await ctx.target.exec(`cat ${UNPRIV_SYSCTL}; echo 0 2>/dev/null > ${UNPRIV_SYSCTL}`, { timeoutMs: 30000 });
  const was = r.stdout.trim();
  if (!/^\d+$/.test(was)) return async () => {};
  return async () => {
    await ctx.target.exec(`echo ${was} > ${UNPRIV_SYSCTL}`, { timeoutMs: 30000 });
  };
}

export async function runSelftests(ctx: SelftestContext): Promise<ProgramResult[]> {
  const loader = await placeLoader(ctx);
  const batches = await prepareBatches(ctx);
  const parallel = await targetCpus(ctx.target);
  const restoreSysctl = await liftUnprivSysctl(ctx, batches);
  const total = ctx.plan.files.length;
  const perBatch: ProgramResult[][] = [];
  let done = 0;
  let runs = 0;
  let failed = 0;
  let next = 0;
  // Batches go to the target side by side, one loader per CPU; results keep the plan's order.
  const worker = async () => {
    for (let i = next++; i < batches.length; i = next++) {
      const b = batches[i]!;
      const got = 'compileFailure' in b ? [b.compileFailure] : await runBatch(ctx, loader, b.objects, i + 1);
      perBatch[i] = got;
      done += 'compileFailure' in b ? 1 : b.objects.length;
      runs += got.length;
      failed += got.filter((r) => r.outcome === 'fail').length;
      // The corpus takes minutes under TCG: the renderer shows how far it is.
      emit({ type: 'selftests', phase: done === total ? 'end' : 'update', kernel: ctx.kernel, done, total, runs, failed });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker));
  } finally {
    await restoreSysctl();
  }
  return perBatch.flat();
}

async function runBatch(ctx: SelftestContext, loaderPath: string, batch: { obj: LoaderObject; pending: Pending[] }[], seq: number): Promise<ProgramResult[]> {
  // Case ids are made unique across the batch.
  batch.forEach((b, i) => {
    for (const c of b.obj.cases) c.id = `${i}.${c.id}`;
    for (const p of b.pending) if (p.caseId !== undefined) p.caseId = `${i}.${p.caseId}`;
  });
  const objects = batch.map((b) => b.obj).filter((o) => o.cases.length);
  const outputs = new Map<string, ReturnType<typeof parseLoaderOutput>['cases'][number]>();
  let broke = '';
  if (objects.length) {
    const cmd = shellQuote(loaderPath);
    const cases = objects.reduce((n, o) => n + o.cases.length, 0);
    const r = await ctx.target.exec(cmd, { input: loaderInput(objects), timeoutMs: 120_000 + 5_000 * cases, binary: true });
    const bytes = r.stdoutBytes ?? Buffer.from(r.stdout);
    // What the loader printed, whole: the evidence behind every verdict of the batch.
    const raw = join(ctx.artifactDir, 'selftests', `loader-${String(seq).padStart(4, '0')}.txt`);
    mkdirSync(dirname(raw), { recursive: true });
    writeFileSync(raw, Buffer.concat([Buffer.from(`# ${objects.map((o) => o.name).join(' ')}\n# exit ${r.exit}\n`), bytes, Buffer.from(r.stderr ? `\n# stderr\n${r.stderr}` : '')]));
    const parsed = parseLoaderOutput(bytes);
    for (const c of parsed.cases) outputs.set(c.id, c);
    if (r.exit !== 0 || parsed.trailing) broke = `the selftest loader stopped (exit ${r.exit}): ${[parsed.trailing, r.stderr.trim()].filter(Boolean).join('\n').slice(0, 2000)}`;
  }
  const results: ProgramResult[] = [];
  for (const b of batch) {
    for (const p of b.pending) {
      if (p.decided) {
        results.push(p.decided);
        continue;
      }
      const out = outputs.get(p.caseId!);
      if (!out) {
        results.push(failure(p.file, p.spec, p.mode, 'loader', broke || 'the selftest loader gave no result for this case'));
        continue;
      }
      const judged: ProgramResult = judgeCase(p.file, p.spec, p.mode, out);
      if (judged.outcome === 'fail' || judged.reason === JITED_SKIP) judged.artifact = writeLog(ctx, p, out.log, out.xlated);
      results.push(judged);
    }
  }
  return results;
}

function writeLog(ctx: SelftestContext, p: Pending, log: string, xlated?: string): string {
  const dir = join(ctx.artifactDir, 'selftests', p.file);
  mkdirSync(dir, { recursive: true });
  const name = `${p.spec.name}.${p.mode}.log`;
  writeFileSync(join(dir, name), log + (xlated !== undefined ? `\n--- xlated ---\n${xlated}` : ''));
  return join(ctx.artifactRel, 'selftests', p.file, name);
}
