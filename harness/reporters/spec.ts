// The human reporter: one line per scenario as it finishes, failures indented under it.

import type { Outcome, RunResult, ScenarioResult } from '../results/model.js';
import type { Reporter } from './reporter.js';
import { LABEL, PLAIN, formatScenarioDetails, seconds, summaryLine, type Style } from './format.js';

const sgr = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const COLOR: Record<Outcome, (s: string) => string> = {
  pass: sgr('32'), fail: sgr('31'), skip: sgr('33'), error: sgr('35'),
};
const ANSI: Style = {
  label: (o, s) => COLOR[o](s),
  dim: sgr('2'),
  diffLine: (l) => {
    if (l.startsWith('  >>')) return sgr('1;33')(l);
    if (l.startsWith('+++') || l.startsWith('---') || l.startsWith('@@')) return sgr('36')(l);
    if (l.startsWith('+')) return sgr('32')(l);
    if (l.startsWith('-')) return sgr('31')(l);
    return l;
  },
};

export class SpecReporter implements Reporter {
  private readonly style: Style;
  constructor(private readonly out: NodeJS.WritableStream, color: boolean) {
    this.style = color ? ANSI : PLAIN;
  }

  scenarioFinished(r: ScenarioResult): void {
    this.out.write(formatSpecScenario(r, this.style).join('\n') + '\n');
  }

  runFinished(run: RunResult): string {
    const lines = ['', summaryLine(run)];
    if (run.outDir) lines.push(this.style.dim(`artifacts: ${run.outDir}`));
    return lines.join('\n') + '\n';
  }
}

export function formatSpecScenario(r: ScenarioResult, style: Style = PLAIN): string[] {
  const label = style.label(r.outcome, LABEL[r.outcome].padEnd(5));
  const tailText = r.outcome === 'skip' ? (r.reason ?? '') : seconds(r.durationMs);
  const head = `${label} ${r.file} [${r.kernel}]${r.network ? ' (network)' : ''}  ${style.dim(tailText)}`.trimEnd();
  return [head, ...formatScenarioDetails(r, '      ', style)];
}
