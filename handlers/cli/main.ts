#!/usr/bin/env node
/**
 * The `readscore` command line: score activities on the embedded CPU default (or a Triton server),
 * evaluate a model on labelled activities, check model folders. Exit codes: 0 scored, 2 bad input, 1 internal error. One module per command;
 * this one parses the command line, dispatches and maps failures to exit codes.
 */
import { type Flags, parseCommandLine, usage } from './args';
import { batchCommand } from './batch';
import { evalCommand } from './eval';
import { ExitCode, failureOf, report } from './failure';
import { checkModel } from './modelCheck';
import { checkModelFolderFiles } from './preflight';
import { printable } from './printable';
import { redriveCommand } from './redrive';
import { scoreCommand } from './score';
import { tritonRepoCommand } from './tritonRepo';

export { ExitCode } from './failure';

/** How long the process may linger after main() has answered (a socket a library left open). */
const EXIT_GRACE_MS = 500;

async function dispatch(command: string, rest: readonly string[], flags: Flags): Promise<number | undefined> {
  if (command === 'score' && rest.length === 1) return scoreCommand(rest[0] as string, flags);
  if (command === 'batch' && rest.length === 1) return batchCommand(rest[0] as string, flags);
  if (command === 'eval' && rest.length === 1) return evalCommand(rest[0] as string, flags);
  if (command === 'model' && rest[0] === 'check' && rest.length === 2) {
    checkModelFolderFiles(rest[1] as string);
    return checkModel(rest[1] as string, flags.threads);
  }
  if (command === 'triton-repo' && rest.length === 2) return tritonRepoCommand(rest[0] as string, rest[1] as string, flags);
  if (command === 'redrive' && rest.length === 0) return redriveCommand(flags, process.env);
  return undefined;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let flags: Flags;
  let positionals: string[];
  try {
    ({ flags, positionals } = parseCommandLine(argv));
  } catch (error) {
    process.stderr.write(`readscore: ${printable((error as Error).message)}\n\n${usage()}\n`);
    return ExitCode.BadInput;
  }
  const [command, ...rest] = positionals;
  if (flags.help || !command) {
    process.stdout.write(`${usage()}\n`);
    return command || flags.help ? ExitCode.Scored : ExitCode.BadInput;
  }
  try {
    const code = await dispatch(command, rest, flags);
    if (code !== undefined) return code;
    process.stderr.write(`readscore: unknown command "${printable(positionals.join(' '))}"\n\n${usage()}\n`);
    return ExitCode.BadInput;
  } catch (error) {
    return report(failureOf(error, flags.debug));
  }
}

if (require.main === module) {
  // grpc-js passes an IP literal as the TLS server name when the Triton URL is an IP address, and
  // Node warns about it on every run (DEP0123); the certificate's IP SAN is still verified.
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code !== 'DEP0123') process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
  const debug = process.argv.includes('--debug');
  const finish = (code: number) => {
    process.exitCode = code;
    // Normally the process ends here by itself; a handle a library left open (a TLS socket still
    // handshaking) must not keep it alive, so it is ended after a short grace.
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  };
  main(process.argv.slice(2)).then(finish, (error) => finish(report(failureOf(error, debug))));
}
