// What a scenario's steps share while they run on one target.
import type { Target } from '../target.js';
import type { Scenario } from '../scenario/types.js';

export interface ScenarioContext {
  target: Target;
  scenario: Scenario;
  kernel: string;
  /** program name -> compiled object on the host */
  objects: Map<string, string>;
  /** Per-scenario directory in the guest for pushed objects. */
  guestDir: string;
  /** Per-scenario bpffs directory for pins; removed after the scenario. */
  pinDir: string;
  /** Where this scenario's artifacts go on the host, and that dir relative to --out. */
  artifactDir: string;
  artifactRel: string;
  /** --update: rewrite log_file goldens from what the kernel printed. */
  update: boolean;
  /** Programs already pushed to guestDir in this scenario. */
  pushed?: Set<string>;
  /** Set once the guest-side cleanup ran (folded into the last step's command). */
  cleaned?: boolean;
}

/** The command that removes a scenario's pins and pushed files. */
export const cleanupCommand = (ctx: ScenarioContext) => `rm -rf ${ctx.pinDir} ${ctx.guestDir}`;
