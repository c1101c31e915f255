// The `fedsynth audit` command (interim placeholder: registers nothing until its issue lands).
// Owners replace this file; main.ts imports `register` from it.
import type { Command } from 'commander';

export function register(_program: Command): void {
  // not yet implemented
}
