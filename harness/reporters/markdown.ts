// A run as Markdown, for GitHub's job summary (the file GITHUB_STEP_SUMMARY names):
// counts per kernel, then each scenario that did not pass, with its first failure.
import { appendFileSync } from 'node:fs';
import type { RunResult } from '../results/model.js';
import { countOutcomes, headline, notPassed, seconds, summaryLine } from './format.js';

/** Table cells cannot hold a raw '|' or a line break. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function markdownSummary(run: RunResult, title = 'bpf-harness run'): string {
  const kernels = [...new Set(run.scenarios.map((r) => r.kernel))];
  const lines = [`### ${title}`, '', summaryLine(run).split('\n').map((l) => `**${l}**`).join('  \n'), ''];
  if (kernels.length) {
    lines.push('| kernel | passed | failed | skipped | errors |', '|---|---:|---:|---:|---:|');
    for (const k of kernels) {
      const c = countOutcomes(run.scenarios.filter((r) => r.kernel === k));
      lines.push(`| ${cell(k)} | ${c.pass} | ${c.fail} | ${c.skip} | ${c.error} |`);
    }
    lines.push('');
  }
  const bad = run.scenarios.filter(notPassed);
  if (bad.length) {
    lines.push('| not passed | kernel | why |', '|---|---|---|');
    for (const r of bad) lines.push(`| \`${cell(r.file)}\` | ${cell(r.kernel)} | ${r.outcome === 'error' ? 'error: ' : ''}${cell(headline(r))} |`);
    lines.push('');
  }
  if (run.outDir) lines.push(`Artifacts: \`${cell(run.outDir)}\` (${seconds(run.durationMs)})`, '');
  return `${lines.join('\n')}\n`;
}

/** Appends the summary where GITHUB_STEP_SUMMARY points, when it is set; a file that cannot be written is a warning. */
export function writeStepSummary(run: RunResult, title?: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    appendFileSync(file, markdownSummary(run, title));
  } catch (e) {
    process.stderr.write(`bpf-harness: warning: GITHUB_STEP_SUMMARY=${file}: ${(e as Error).message}\n`);
  }
}
