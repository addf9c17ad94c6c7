/** The CLI's flags: the option table, the help text (defaults read from the code) and parsing. */
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_AUDIO_SEC, DEFAULT_PAD_SEC, DEFAULT_SECOND_LOOK_MARGIN, SETTINGS, setting } from '../../core/config';
import { BUNDLED_MODEL } from '../../engines/factory';

/** Default of a setting as documented in core/config/settings.ts. */
const defaultOf = (path: string) => setting(path).defaultText ?? '';

/** Activities scored at once by `batch` when --concurrency is not given. */
export const DEFAULT_BATCH_CONCURRENCY = 2;

/** Second-look margins (nats) of `eval`'s trade-off table when --margins is not given. */
export const DEFAULT_EVAL_MARGINS: readonly number[] = [0, 1, 2, 3, 4, 6, 8];

/** The help text. */
export const usage = () =>
  withSettingsNotListed(`Usage:
  readscore score <activity.json|folder> [--json] [--out DIR] [--audio-root DIR] [engine options]
  readscore batch <folder|glob> [--concurrency N] [--out DIR] [--audio-root DIR] [engine options]
  readscore eval <folder|glob> [--margins 0,1,2] [--json] [--out DIR] [--audio-root DIR] [engine options]
  readscore model check <model-dir> [--threads N]
  readscore triton-repo <model-dir> <out-dir> [--max-batch-size N] [--preferred-batch 8,16] [--max-queue-delay-us N] [--instances N]
  readscore redrive --from DLQ_URL --to QUEUE_URL [--max N]

Engine options:
  --engine cpu|triton     inference engine (default ${defaultOf('engine.kind')})
  --model DIR             model folder (default: the bundled ${BUNDLED_MODEL})
  --threads N             CPU engine intra-op threads (default ${defaultOf('engine.threads')})
  --triton-url URL        Triton server, https://host:port (plaintext http:// is refused)
  --ca FILE               CA bundle (PEM) that signed the Triton server certificate
  --client-cert FILE      client certificate (PEM) for mTLS, with --client-key FILE
  --deadline-ms N         deadline of each Triton call attempt and of the TLS handshake (default ${defaultOf('engine.triton.deadlineMs')})
  --fallback-cpu          score on the local CPU engine while the Triton breaker is open
Scoring options:
  --pad-sec S             neighbour padding per side in seconds (default ${DEFAULT_PAD_SEC}, 0 disables)
  --max-audio-sec S       longest accepted audio file (default ${DEFAULT_MAX_AUDIO_SEC})
  --second-look-margin N  nats by which an item's own pronunciation may trail the best other
                          explanation of its window and still be accepted on the second look
                          (default ${DEFAULT_SECOND_LOOK_MARGIN}; 0 = plain maximum likelihood)
  --no-second-look        judge greedy CTC decoding only (no rescoring of substituted/omitted items)
  --scoring-policy P      practice or assessment (default practice: the catalog as written; assessment takes no
                          letter sound for a name and no name for a sound)
  --audio-root DIR        audio may come from anywhere inside DIR (default: only from inside each
                          manifest's own folder; ../, absolute paths and symlinks leaving it are refused)
  --concurrency N         batch: activities scored at once (default ${DEFAULT_BATCH_CONCURRENCY})
  --margins LIST          eval: second-look margins of the trade-off table (default ${DEFAULT_EVAL_MARGINS.join(',')};
                          the second look off and the operating margin are always added)
  --debug                 print stack traces of internal errors
Limits:

Negative numbers are values too: --pad-sec -1 and --pad-sec=-1 both reach the range check.
eval reads expected.json beside each activity.json (see examples/); --out DIR writes eval.json and eval.svg.
Exit codes: 0 scored, 2 bad input (the message names the file and the problem), 1 internal error.`);

/** Adds a line under "Limits:" for every setting with a flag the text above does not describe yet. */
function withSettingsNotListed(text: string): string {
  const lines = SETTINGS.filter((s) => s.flag && !text.includes(`--${s.flag} `)).map((s) => {
    const head = `  --${s.flag} N`;
    const description = `${s.description}${s.defaultText !== undefined ? ` (default ${s.defaultText})` : ''}`;
    return head.length < 25 ? `${head.padEnd(26)}${description}` : `${head}\n${' '.repeat(26)}${description}`;
  });
  return text.replace('Limits:\n', lines.length ? `Limits:\n${lines.join('\n')}\n` : '');
}

/** The CLI's own options and those of the settings with a switch (the other settings' flags are added below). */
const CLI_OPTIONS = {
  json: { type: 'boolean', default: false },
  out: { type: 'string' },
  engine: { type: 'string' },
  model: { type: 'string' },
  threads: { type: 'string' },
  concurrency: { type: 'string' },
  margins: { type: 'string' },
  'pad-sec': { type: 'string' },
  'max-audio-sec': { type: 'string' },
  'second-look-margin': { type: 'string' },
  'no-second-look': { type: 'boolean', default: false },
  'audio-root': { type: 'string' },
  'triton-url': { type: 'string' },
  ca: { type: 'string' },
  'client-cert': { type: 'string' },
  'client-key': { type: 'string' },
  'deadline-ms': { type: 'string' },
  'fallback-cpu': { type: 'boolean', default: false },
  'max-batch-size': { type: 'string' },
  'preferred-batch': { type: 'string' },
  'max-queue-delay-us': { type: 'string' },
  instances: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  max: { type: 'string' },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type OptionSpec = { type: 'string' } | { type: 'boolean'; short?: string; default?: boolean };

/** The option table of node:util parseArgs: the CLI's own, plus a string option per setting flag. */
export const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  ...Object.fromEntries(SETTINGS.filter((s) => s.flag).map((s) => [s.flag as string, { type: 'string' } as const])),
  ...CLI_OPTIONS,
};

/** Parsed flags (string options stay text: readScoreConfig parses and range-checks them). */
export interface Flags {
  json: boolean;
  out?: string;
  engine?: string;
  model?: string;
  threads?: string;
  concurrency?: string;
  margins?: string;
  'pad-sec'?: string;
  'max-audio-sec'?: string;
  'second-look-margin'?: string;
  'no-second-look': boolean;
  'audio-root'?: string;
  'triton-url'?: string;
  ca?: string;
  'client-cert'?: string;
  'client-key'?: string;
  'deadline-ms'?: string;
  'fallback-cpu': boolean;
  'max-batch-size'?: string;
  'preferred-batch'?: string;
  'max-queue-delay-us'?: string;
  instances?: string;
  from?: string;
  to?: string;
  max?: string;
  debug: boolean;
  help: boolean;
  /** Flags of settings the CLI does not use itself (limits): passed on to readScoreConfig. */
  [setting: string]: string | boolean | undefined;
}

/**
 * Joins `--flag -1` into `--flag=-1` for string options, so a negative number is read as the
 * flag's value (and range-checked like any other) instead of parseArgs calling it ambiguous.
 */
export function joinNegativeValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const option = name ? OPTIONS[name] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The command line, parsed: flags and positionals. Throws parseArgs' TypeError on a bad flag. */
export function parseCommandLine(argv: readonly string[]): { flags: Flags; positionals: string[] } {
  const parsed = parseArgs({ args: joinNegativeValues(argv), allowPositionals: true, options: OPTIONS });
  return { flags: parsed.values as unknown as Flags, positionals: parsed.positionals };
}
