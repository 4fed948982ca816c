// The comparison as JUnit XML: one testcase per scenario step, failing when its change
// (or the patched run's failure) was not declared in expect_by_kernel.
import { create } from 'xmlbuilder2';
import type { Comparison } from './compare.js';

export function comparisonJunit(c: Comparison): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const suite = doc.ele('testsuites').ele('testsuite', {
    name: `compare ${c.base} -> ${c.patched}`, tests: String(c.steps.length + (c.programs?.rows.length ?? 0)), failures: String(c.unexpected),
  });
  for (const s of c.steps) {
    const tc = suite.ele('testcase', { classname: s.file.replace(/\.ya?ml$/, '').replace(/\//g, '.'), name: s.step });
    const detail = `${c.base}: ${s.base.verdict}; ${c.patched}: ${s.patched.verdict}` +
      `${s.insnsDelta !== undefined ? `; insns ${s.base.insns} -> ${s.patched.insns}` : ''}${s.logDiff ? `\n${s.logDiff}` : ''}`;
    if (!s.expected) tc.ele('failure', { message: s.changed ? 'unexpected change' : 'fails on the patched kernel' }).txt(detail);
    else tc.ele('system-out').txt(detail);
  }
  for (const r of c.programs?.rows ?? []) {
    const tc = suite.ele('testcase', { classname: `${r.file.replace(/\.ya?ml$/, '').replace(/\//g, '.')}.${r.program.split('/')[0]}`, name: `${r.program.split('/')[1]}${r.mode === 'unpriv' ? ' @unpriv' : ''}` });
    const detail = `${c.base}: ${r.base?.verdict ?? 'absent'}; ${c.patched}: ${r.patched?.verdict ?? 'absent'}; changed: ${r.changes.join(', ') || 'nothing'}${r.patched?.reason ? `\n${r.patched.reason}` : ''}`;
    if (!r.expected) tc.ele('failure', { message: r.changes.length ? 'unexpected change' : 'fails on the patched kernel' }).txt(detail);
    else tc.ele('system-out').txt(detail);
  }
  return `${doc.end({ prettyPrint: true })}\n`;
}
