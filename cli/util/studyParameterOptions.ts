// studyParameterOptions: the options that define a study's privacy and protocol (--epsilon, --delta,
// --mechanism, --aggregation), declared once for every command that starts a study (simulate, study create, demo).
import type { Command } from 'commander';

/** Adds the four options, with the same help text and defaults everywhere, to `cmd`. */
export function studyParameterOptions(cmd: Command): Command {
  return cmd
    .option('--epsilon <e>', 'privacy budget epsilon', '1')
    .option('--delta <d>', 'privacy budget delta', '1e-9')
    .option('--mechanism <m>', 'aim | mst', 'aim')
    .option('--aggregation <a>', 'masking | he | plain (plain: no secure aggregation, tests only)', 'masking');
}
