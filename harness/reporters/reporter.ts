// The reporter interface and its factory. spec and tap write to `out` as scenarios
// finish; junit and json build one document at the end. In every case runFinished
// returns what is still to be written, and the caller writes it (to `out`, or to a
// file under --out).

import type { Reporter } from '../results/reporter.js';
import { JsonReporter } from './json.js';
import { HtmlReporter } from './html.js';
import { JunitReporter } from './junit.js';
import { SpecReporter, colorEnabled } from './spec.js';
import { TapReporter } from './tap.js';

export type { Reporter, ScenarioRef } from '../results/reporter.js';

/** What run's and report merge's --reporter take. */
export const REPORTERS = ['spec', 'tap', 'junit', 'json', 'html'] as const;
export type ReporterName = (typeof REPORTERS)[number];

export interface ReporterOptions {
  /** spec only; default: colorEnabled(out) (FORCE_COLOR, NO_COLOR, a terminal). */
  color?: boolean;
}

export function makeReporter(name: ReporterName, out: NodeJS.WritableStream, opts: ReporterOptions = {}): Reporter {
  switch (name) {
    case 'spec': return new SpecReporter(out, opts.color ?? colorEnabled(out));
    case 'tap': return new TapReporter(out);
    case 'junit': return new JunitReporter();
    case 'json': return new JsonReporter();
    case 'html': return new HtmlReporter();
  }
}
