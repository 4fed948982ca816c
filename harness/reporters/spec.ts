// The human reporter: one line per scenario as it finishes, failures indented under it.

import { styleText } from 'node:util';
import type { Outcome, RunResult, ScenarioResult } from '../results/model.js';
import type { Reporter } from './reporter.js';
import { LABEL, PLAIN, formatScenarioDetails, headline, notPassed, seconds, summaryLine, triesNote, type Style } from './format.js';

// node:util's styleText, so colours are the runtime's. Whether to use them is decided for
// the reporter's own stream (colorEnabled), not styleText's check of process.stdout: a
// report written to a file, or asked for with --reporter, decides for itself.
const paint = (format: Parameters<typeof styleText>[0]) => (s: string) => styleText(format, s, { validateStream: false });
const COLOR: Record<Outcome, (s: string) => string> = {
  pass: paint('green'), fail: paint('red'), skip: paint('yellow'), error: paint('magenta'),
};
const ANSI: Style = {
  label: (o, s) => COLOR[o](s),
  dim: paint('dim'),
  diffLine: (l) => {
    if (l.startsWith('  >>')) return paint(['bold', 'yellow'])(l);
    if (l.startsWith('+++') || l.startsWith('---') || l.startsWith('@@')) return paint('cyan')(l);
    if (l.startsWith('+')) return paint('green')(l);
    if (l.startsWith('-')) return paint('red')(l);
    return l;
  },
};

/**
 * Colours on a stream: FORCE_COLOR (0 or false turns them off, anything else on) wins,
 * then NO_COLOR (any non-empty value turns them off), then whether it is a terminal.
 */
export function colorEnabled(out: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !/^(0|false)$/i.test(force);
  if (env.NO_COLOR) return false;
  return (out as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
}

export class SpecReporter implements Reporter {
  private readonly style: Style;
  constructor(private readonly out: NodeJS.WritableStream, color: boolean) {
    this.style = color ? ANSI : PLAIN;
  }

  scenarioFinished(r: ScenarioResult): void {
    this.out.write(formatSpecScenario(r, this.style).join('\n') + '\n');
  }

  runFinished(run: RunResult): string {
    // The failures once more, a line each, so a long run's end says what to look at.
    const bad = run.scenarios.filter(notPassed);
    const recap = bad.length ? ['', `${bad.length} not passed:`, ...bad.map((r) => `  ${this.style.label(r.outcome, LABEL[r.outcome])} ${r.file} [${r.kernel}]: ${headline(r)}`)] : [];
    const lines = [...recap, '', summaryLine(run)];
    if (run.outDir) lines.push(this.style.dim(`artifacts: ${run.outDir}`));
    return lines.join('\n') + '\n';
  }
}

export function formatSpecScenario(r: ScenarioResult, style: Style = PLAIN): string[] {
  const label = style.label(r.outcome, LABEL[r.outcome].padEnd(5));
  const note = triesNote(r);
  const tailText = r.outcome === 'skip' ? (r.reason ?? '') : `${seconds(r.durationMs)}${note ? `, ${note}` : ''}`;
  const head = `${label} ${r.file} [${r.kernel}]${r.network ? ' (network)' : ''}  ${style.dim(tailText)}`.trimEnd();
  return [head, ...formatScenarioDetails(r, '      ', style)];
}
