// report.html: one self-contained file (styles and the little script inline, nothing
// fetched) for reviewers: the scenario x kernel outcomes with filters by outcome and
// kernel; under them, each scenario that did not pass with its failing steps, what they
// expected, and the log against the expectation (a golden's diff rendered by diff2html,
// side by side or unified); for a compare, the A/B table with stats deltas and the log
// diffs. The run's data is rendered here; the script only shows and hides.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { html as diffHtml } from 'diff2html';
import type { Failure, ProgramResult, RunnerTest, RunResult, ScenarioResult, StepResult } from '../results/model.js';
import { changeLabel, type Comparison } from '../compare/compare.js';
import type { Reporter } from './reporter.js';
import { countOutcomes, headline, LABEL, notPassed, seconds, summaryLine, triesNote } from './format.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

let diffCss: string | undefined;
/** diff2html's own stylesheet, inlined: the report fetches nothing. */
function d2hCss(): string {
  diffCss ??= readFileSync(createRequire(import.meta.url).resolve('diff2html/bundles/css/diff2html.min.css'), 'utf8');
  return diffCss;
}

/** A unified diff (jsdiff's createTwoFilesPatch form) as diff2html renders it, both layouts; the page shows one. */
function renderDiff(unified: string): string {
  const opts = { drawFileList: false, matching: 'lines' as const };
  return `<div class="diff side">${diffHtml(unified, { ...opts, outputFormat: 'side-by-side' })}</div>`
    + `<div class="diff unified">${diffHtml(unified, { ...opts, outputFormat: 'line-by-line' })}</div>`;
}

/** A failure's diff is a unified diff (goldens, compare) or a listing of the log around where matching stopped. */
const isUnified = (d: string) => /^--- .*\n\+\+\+ .*\n@@ /m.test(d);

function failureHtml(step: string, f: Failure): string {
  const parts = [`<div class="failure"><div class="what"><code>${esc(step)}</code> · <code>${esc(f.expectation)}</code>: ${esc(f.message)}</div>`];
  if (f.pattern !== undefined) parts.push(`<div class="expect">expected pattern: <code>${esc(f.pattern)}</code>${f.stoppedAtLine !== undefined ? `, stopped at line ${f.stoppedAtLine}` : ''}</div>`);
  if (f.matchedBefore?.length) parts.push(`<div class="expect">matched before it: ${f.matchedBefore.map((m) => `[${m.index}] <code>${esc(m.pattern)}</code> on line ${m.line}`).join(', ')}</div>`);
  if (f.diff) parts.push(isUnified(f.diff) ? renderDiff(f.diff) : `<pre class="listing">${esc(f.diff)}</pre>`);
  parts.push('</div>');
  return parts.join('\n');
}

function stepHtml(s: StepResult): string {
  if (!s.failures.length) return '';
  return `<div class="step"><h4>step ${esc(s.id)} (${s.kind})</h4>${s.failures.map((f) => failureHtml(s.id, f)).join('\n')}</div>`;
}

function programsHtml(programs: ProgramResult[]): string {
  const bad = programs.filter((p) => p.outcome === 'fail');
  if (!bad.length) return '';
  return `<div class="step"><h4>selftest programs that failed (${bad.length} of ${programs.length})</h4>${bad.map((p) =>
    `<div class="failure"><div class="what"><code>${esc(`${p.file}/${p.prog}`)}</code> ${p.mode}: ${esc(p.reason ?? '')}</div>${p.failures.map((f) => failureHtml(p.mode, f)).join('\n')}</div>`).join('\n')}</div>`;
}

function runnerTestsHtml(tests: RunnerTest[]): string {
  const bad = tests.filter((t) => t.outcome === 'fail');
  if (!bad.length) return '';
  return `<div class="step"><h4>runner tests that failed (${bad.length} of ${tests.length})</h4>${bad.map((t) =>
    `<div class="failure"><div class="what"><code>${esc(`${t.number} ${t.test}${t.subtest ? `/${t.subtest}` : ''}`)}</code>: ${esc(t.reason ?? '')}</div>${t.log ? `<details><summary>log</summary><pre class="listing">${esc(t.log)}</pre></details>` : ''}</div>`).join('\n')}</div>`;
}

const anchor = (r: ScenarioResult) => `s-${Buffer.from(`${r.file} ${r.kernel}`).toString('hex').slice(0, 40)}`;

function detailsHtml(r: ScenarioResult): string {
  const body = [
    r.reason ? `<p class="reason">${esc(r.reason)}</p>` : '',
    r.crash ? `<pre class="listing">${esc(r.crash.excerpt)}</pre>` : '',
    r.consoleTail && r.outcome === 'error' ? `<details><summary>console tail</summary><pre class="listing">${esc(r.consoleTail)}</pre></details>` : '',
    ...r.steps.map(stepHtml),
    programsHtml(r.programs ?? []),
    runnerTestsHtml(r.tests ?? []),
  ].filter(Boolean).join('\n');
  return `<section class="scenario" id="${anchor(r)}" data-outcome="${r.outcome}" data-kernel="${esc(r.kernel)}">
<h3><span class="badge ${r.outcome}">${LABEL[r.outcome]}</span> ${esc(r.file)} <span class="kernel">[${esc(r.kernel)}]</span></h3>
<p class="name">${esc(r.name)}</p>
${body}
</section>`;
}

function resultsTable(run: RunResult): string {
  const rows = run.scenarios.map((r) => {
    const bad = notPassed(r);
    const why = r.outcome === 'pass' ? esc(triesNote(r) ?? '') : esc(r.outcome === 'skip' ? r.reason ?? '' : headline(r));
    return `<tr data-outcome="${r.outcome}" data-kernel="${esc(r.kernel)}"><td><span class="badge ${r.outcome}">${LABEL[r.outcome]}</span></td><td>${bad ? `<a href="#${anchor(r)}">${esc(r.file)}</a>` : esc(r.file)}</td><td>${esc(r.kernel)}</td><td>${esc(r.name)}</td><td class="num">${seconds(r.durationMs)}</td><td>${why}</td></tr>`;
  });
  return `<table class="results"><thead><tr><th>outcome</th><th>scenario</th><th>kernel</th><th>name</th><th>time</th><th>why</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

const stat = (b?: number, p?: number, d?: number) => (b === undefined || p === undefined ? '' : `${b} → ${p} (${d! >= 0 ? '+' : ''}${d})`);

function comparisonHtml(c: Comparison): string {
  const rows = c.steps.map((s) => {
    const what = changeLabel(s);
    const cls = !s.expected ? 'fail' : s.changed ? 'changed' : 'pass';
    return `<tr class="${cls}" data-changed="${s.changed}"><td>${esc(s.file)}</td><td>${esc(s.step)}</td><td>${esc(s.base.verdict)}</td><td>${esc(s.patched.verdict)}</td><td class="num">${stat(s.base.insns, s.patched.insns, s.insnsDelta)}</td><td class="num">${stat(s.base.states, s.patched.states, s.statesDelta)}</td><td>${esc(what)}</td></tr>`;
  });
  const diffs = c.steps.filter((s) => s.logDiff).map((s) => `<div class="step"><h4>${esc(s.file)} ${esc(s.step)}</h4>${renderDiff(s.logDiff!)}</div>`);
  const progTable = (title: string, pc: Comparison['programs']) => (pc?.rows.length ? `<h3>${esc(title)}</h3><table class="results"><thead><tr><th>scenario</th><th>program</th><th>${esc(c.base)}</th><th>${esc(c.patched)}</th><th>change</th><th>insns</th><th>states</th></tr></thead><tbody>${pc.rows.map((r) =>
    `<tr class="${r.expected ? 'changed' : 'fail'}"><td>${esc(r.file)}</td><td>${esc(r.program)}${r.mode === 'unpriv' ? ' @unpriv' : ''}</td><td>${esc(r.base?.verdict ?? '-')}</td><td>${esc(r.patched?.verdict ?? '-')}</td><td>${esc(r.changes.join('+'))}${r.expected ? '' : ' UNEXPECTED'}</td><td class="num">${stat(r.base?.insns, r.patched?.insns, r.insnsDelta)}</td><td class="num">${stat(r.base?.states, r.patched?.states, r.statesDelta)}</td></tr>`).join('\n')}</tbody></table><p>${pc.unchanged} more unchanged (stats deltas under ${pc.thresholdPct}%)</p>` : '');
  return `<h2 id="comparison">${esc(c.base)} → ${esc(c.patched)}: ${c.steps.filter((s) => s.changed).length} of ${c.steps.length} steps changed, ${c.unexpected} unexpected</h2>
<label><input type="checkbox" id="only-changed" checked> changed steps only</label>
<table class="results compare"><thead><tr><th>scenario</th><th>step</th><th>base ${esc(c.base)}</th><th>patched ${esc(c.patched)}</th><th>insns</th><th>states</th><th>change</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
${progTable('load step programs with stats deltas', c.stepPrograms)}
${progTable('selftest programs that changed', c.programs)}
${diffs.length ? `<h3>log changes</h3>${diffs.join('\n')}` : ''}`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1f2328; }
h1 { font-size: 1.4em; margin: 0 0 .3em; } h2 { font-size: 1.2em; margin-top: 1.5em; } h3 { font-size: 1.05em; margin: .4em 0; }
h4 { font-size: .95em; margin: .6em 0 .3em; } .name { margin: 0 0 .4em; color: #59636e; }
table.results { border-collapse: collapse; width: 100%; } table.results td, table.results th { border-bottom: 1px solid #d1d9e0; padding: 3px 8px; text-align: left; vertical-align: top; }
table.results th { background: #f6f8fa; position: sticky; top: 0; } td.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; min-width: 3.3em; text-align: center; border-radius: 3px; padding: 0 4px; font-weight: 600; font-size: .85em; color: #fff; }
.badge.pass { background: #1a7f37; } .badge.fail { background: #cf222e; } .badge.skip { background: #9a6700; } .badge.error { background: #8250df; }
tr.fail td { background: #ffebe9; } tr.changed td { background: #fff8c5; }
table.results td:nth-child(3) { white-space: nowrap; }
.filters { margin: .8em 0; display: flex; gap: 1.5em; flex-wrap: wrap; } .filters fieldset { border: 1px solid #d1d9e0; border-radius: 4px; padding: .2em .8em; }
section.scenario { border: 1px solid #d1d9e0; border-radius: 6px; padding: .5em 1em; margin: 1em 0; }
.failure { margin: .4em 0 .8em; } .what { font-weight: 600; } .expect { color: #59636e; margin: .2em 0; }
pre.listing { background: #f6f8fa; padding: .5em; overflow-x: auto; font-size: 12px; }
.kernel { color: #59636e; font-weight: normal; }
body.layout-side .diff.unified, body.layout-unified .diff.side { display: none; }
.hidden { display: none !important; }
/* diff2html tags two differently named sides "RENAMED": they are expected and actual, not files. */
.d2h-tag { display: none; }
`;

// Filters: a row or section is shown when its outcome and its kernel are both ticked.
const SCRIPT = `
const on = (name) => new Set([...document.querySelectorAll('input[data-filter="' + name + '"]:checked')].map((i) => i.value));
function apply() {
  const outcomes = on('outcome'), kernels = on('kernel');
  for (const el of document.querySelectorAll('[data-outcome][data-kernel]'))
    el.classList.toggle('hidden', !outcomes.has(el.dataset.outcome) || !kernels.has(el.dataset.kernel));
  const only = document.getElementById('only-changed');
  for (const tr of document.querySelectorAll('tr[data-changed]')) tr.classList.toggle('hidden', !!only && only.checked && tr.dataset.changed !== 'true');
}
for (const i of document.querySelectorAll('input[data-filter], #only-changed')) i.addEventListener('change', apply);
for (const i of document.querySelectorAll('input[name=layout]')) i.addEventListener('change', () => { document.body.className = 'layout-' + i.value; });
apply();
`;

export interface HtmlReportOptions {
  title?: string;
  comparison?: Comparison;
}

export function htmlReport(run: RunResult, opts: HtmlReportOptions = {}): string {
  const kernels = [...new Set(run.scenarios.map((r) => r.kernel))];
  const c = countOutcomes(run.scenarios);
  const box = (name: string, value: string, label: string, checked = true) => `<label><input type="checkbox" data-filter="${name}" value="${esc(value)}"${checked ? ' checked' : ''}> ${label}</label>`;
  const outcomes = (['fail', 'error', 'skip', 'pass'] as const).map((o) => box('outcome', o, `${LABEL[o].toLowerCase()} (${c[o]})`));
  const bad = run.scenarios.filter(notPassed);
  const title = opts.title ?? 'bpf-harness run';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(title)}: ${esc(summaryLine(run).split('\n').pop()!)}</title>
<style>${d2hCss()}${STYLE}</style></head>
<body class="layout-side">
<h1>${esc(title)}</h1>
<p class="summary">${summaryLine(run).split('\n').map(esc).join('<br>')}. Started ${esc(run.startedAt)} on ${esc(run.target)}${run.accel ? ` (${esc(run.accel)})` : ''}${run.outDir ? `; artifacts in <code>${esc(run.outDir)}</code>` : ''}.</p>
${opts.comparison ? comparisonHtml(opts.comparison) : ''}
<h2>scenario x kernel</h2>
<div class="filters">
<fieldset><legend>outcome</legend>${outcomes.join(' ')}</fieldset>
<fieldset><legend>kernel</legend>${kernels.map((k) => box('kernel', k, esc(k))).join(' ')}</fieldset>
<fieldset><legend>diffs</legend><label><input type="radio" name="layout" value="side" checked> side by side</label> <label><input type="radio" name="layout" value="unified"> unified</label></fieldset>
</div>
${resultsTable(run)}
${bad.length ? `<h2>what did not pass</h2>\n${bad.map(detailsHtml).join('\n')}` : ''}
<script>${SCRIPT}</script>
</body></html>
`;
}

/** The html reporter: the whole page at the end (it needs every result for its filters). */
export class HtmlReporter implements Reporter {
  scenarioFinished(): void {}

  runFinished(run: RunResult): string {
    return htmlReport(run);
  }
}
