// How a command-line command ends (`npm run keys`, `import`, `demo:seed`, `backtest` and their
// compiled forms in the image): a usage error or a refused configuration is the command's own
// one-line message and exit code 2, anything else its message and exit code 1 (a stack would not
// tell an operator what to do).
import { StartupRefusal, UsageError } from './errors';

/** 2 for what the user typed or configured (UsageError, StartupRefusal), 1 for any other failure. */
export function commandExitCode(error: unknown): number {
  return error instanceof UsageError || error instanceof StartupRefusal ? 2 : 1;
}

/** Runs a command's main: a failure prints its message (not a stack) and exits with commandExitCode. */
export function runCommand(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(commandExitCode(error));
  });
}
