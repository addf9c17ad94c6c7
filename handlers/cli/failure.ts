/**
 * How the CLI reports a failure: bad input or configuration (exit 2) as one line naming the input
 * and its code; anything else is an internal error (exit 1), one line too, with the stack trace only
 * under --debug. Every message is printed with its control characters escaped.
 */
import { ReadScoreInputError } from '../../core/errors';
import { EngineError } from '../../core/pipeline/engine';
import { printable } from './printable';

/** Exit codes of the CLI. */
export const ExitCode = { Scored: 0, Internal: 1, BadInput: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure as the CLI prints it. */
export interface Failure {
  readonly exit: ExitCode;
  /** One line, without the `readscore: ` prefix, control characters escaped. */
  readonly line: string;
}

/**
 * Classifies `error`: a ReadScoreInputError (input, configuration, model folder) is exit 2; an
 * EngineError (the engine failed while scoring) and anything else are exit 1. With `debug` the
 * stack trace follows the line.
 */
export function failureOf(error: unknown, debug: boolean): Failure {
  if (error instanceof ReadScoreInputError) return { exit: ExitCode.BadInput, line: `${printable(error.message)} [${printable(error.code)}]` };
  const message = error instanceof Error ? error.message : String(error);
  const stack = debug && error instanceof Error && error.stack ? `\n${error.stack.split('\n').map(printable).join('\n')}` : '';
  if (error instanceof EngineError) return { exit: ExitCode.Internal, line: `engine error: ${printable(message)} [${printable(error.code)}]${stack}` };
  return { exit: ExitCode.Internal, line: `internal error: ${printable(message)}${debug ? stack : ' (--debug shows the stack trace)'}` };
}

/** An internal failure's line prefixed with the manifest it happened on (input errors name their input already). */
export function namingManifest(failure: Failure, manifest: string): Failure {
  return failure.exit === ExitCode.Internal ? { ...failure, line: `${printable(manifest)}: ${failure.line}` } : failure;
}

/** Prints `failure` on stderr and returns its exit code. */
export function report(failure: Failure, prefix = 'readscore: '): ExitCode {
  process.stderr.write(`${prefix}${failure.line}\n`);
  return failure.exit;
}
