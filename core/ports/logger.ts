/** Structured logging port: Powertools Logger in Lambda, stderr lines in the CLI. */

/** Structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. Implementations add the correlation id to every line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
