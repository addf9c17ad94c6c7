/** `readscore triton-repo <model-dir> <out-dir>`: writes a Triton model repository for a model folder. */

import { prepareResultFolder } from '../../adapters/local/resultFolder';
import { ConfigError } from '../../core/errors';
import { readModelFolder } from '../../core/model';
import { writeTritonRepository } from '../../engines/triton/modelRepository';
import type { Flags } from './args';
import { ExitCode } from './failure';
import { checkModelFolderFiles } from './preflight';
import { printable } from './printable';

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError('bad-flag', `--${flag}`, `expected an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** Writes `<out-dir>/<model>/config.pbtxt` and `<out-dir>/<model>/<version>/model.onnx`; prints the paths. */
export function tritonRepoCommand(modelDir: string, outDir: string, flags: Flags): number {
  const maxBatchSize = integer('max-batch-size', flags['max-batch-size'], 1);
  const maxQueueDelayMicroseconds = integer('max-queue-delay-us', flags['max-queue-delay-us'], 0);
  const instanceCount = integer('instances', flags.instances, 1);
  const preferredBatchSizes = flags['preferred-batch']?.split(',').map((p) => integer('preferred-batch', p.trim(), 1) as number);
  checkModelFolderFiles(modelDir);
  prepareResultFolder(outDir, '<out-dir>');
  const written = writeTritonRepository(readModelFolder(modelDir), outDir, {
    ...(maxBatchSize ? { maxBatchSize } : {}),
    ...(maxQueueDelayMicroseconds !== undefined ? { maxQueueDelayMicroseconds } : {}),
    ...(instanceCount ? { instanceCount } : {}),
    ...(preferredBatchSizes ? { preferredBatchSizes } : {}),
  });
  process.stdout.write(`wrote ${printable(written.config)}\nwrote ${printable(written.model)}\n`);
  return ExitCode.Scored;
}
