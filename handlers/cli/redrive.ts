/** `readscore redrive --from DLQ_URL --to QUEUE_URL [--max N]`: moves dead-lettered requests back. */
import { createAwsClients } from '../../adapters/aws/clients';
import { redrive } from '../../adapters/aws/sqs';
import { readScoreConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';

/** Flags of the redrive command. */
export interface RedriveFlags {
  readonly from?: string;
  readonly to?: string;
  readonly max?: string;
}

/**
 * Moves up to `--max` messages from the DLQ to the queue; each is deleted from the DLQ only after it
 * was sent. Region (and a loopback endpoint for tests) come from AWS_REGION / READSCORE_AWS_ENDPOINT.
 */
export async function redriveCommand(flags: RedriveFlags, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  if (!flags.from) throw new ConfigError('bad-flag', '--from', 'redrive needs --from DLQ_URL');
  if (!flags.to) throw new ConfigError('bad-flag', '--to', 'redrive needs --to QUEUE_URL');
  if (flags.from === flags.to) throw new ConfigError('bad-flag', '--to', '--from and --to name the same queue');
  const max = flags.max === undefined ? undefined : Number(flags.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new ConfigError('bad-flag', '--max', `expected an integer ≥ 1, got "${flags.max}"`);
  // The queue URLs are checked by the same rules as READSCORE_SCORING_QUEUE_URL (HTTPS, or loopback).
  const config = readScoreConfig({ from: 'env', env: { ...env, READSCORE_SCORING_QUEUE_URL: flags.to, READSCORE_DLQ_URL: flags.from } });
  const region = config.aws.region ?? regionOf(flags.from);
  const { sqs } = createAwsClients({ region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) });
  const outcome = await redrive(sqs, { from: flags.from, to: flags.to, ...(max !== undefined ? { max } : {}) });
  process.stdout.write(
    `moved ${outcome.moved} message(s) from ${flags.from} to ${flags.to}${outcome.failed.length ? `; ${outcome.failed.length} failed and stay in the DLQ` : ''}\n`,
  );
  return outcome.failed.length ? 1 : 0;
}

/** `https://sqs.eu-west-1.amazonaws.com/...` → `eu-west-1`. */
function regionOf(queueUrl: string): string {
  const match = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\//.exec(queueUrl);
  if (!match?.[1]) throw new ConfigError('missing-setting', 'AWS_REGION', 'set AWS_REGION (the queue URL does not name a region)');
  return match[1];
}
