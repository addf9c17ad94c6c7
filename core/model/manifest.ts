/**
 * The model folder contract: `model.onnx` plus `manifest.json`. Every engine reads the same
 * manifest, so preprocessing and decoding cannot drift between engines.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelError } from '../errors';
import { FileProblemKind, fileProblemOf, readRegularFileSync } from '../files';
import catalogData from '../items/letter-items.v1.json';
import { tokenMapIssues } from './tokenMap';

/**
 * Model input rates accepted. Speech models run at 8–48 kHz; the bound is checked before anything
 * is allocated from the rate (the warm-up probes are seconds of audio at it).
 */
export const MODEL_SAMPLE_RATE_RANGE = { min: 8000, max: 48000 } as const;

/** Longest logit frame accepted, as a fraction of a second (CTC models use 10–80 ms frames). */
const MAX_FRAME_SEC = 0.1;

/** Input normalisations a manifest may ask for (applied per phrase over its true samples). */
export const Normalization = {
  /** wav2vec2 `do_normalize`: (x - mean) / sqrt(var + 1e-7). */
  ZeroMeanUnitVariance: 'zero-mean-unit-variance',
  /** Samples as read, in [-1, 1]. */
  None: 'none',
} as const;

/** The symbols a token map may map onto: the alphabet of the bundled catalog (the domain brief's). */
const CATALOG_ALPHABET: readonly string[] = catalogData.alphabet;

const manifestSchema = z
  .object({
    format: z.literal('readscore-model/1'),
    name: z.string().min(1),
    version: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters'),
    sampleRate: z.number().int().min(MODEL_SAMPLE_RATE_RANGE.min).max(MODEL_SAMPLE_RATE_RANGE.max),
    input: z.object({ name: z.string().min(1) }),
    output: z.object({ name: z.string().min(1) }),
    vocabulary: z.array(z.string().min(1)).min(3),
    blank: z.string().min(1),
    separator: z.string().min(1),
    frameStride: z.number().int().positive(),
    normalization: z.enum([Normalization.ZeroMeanUnitVariance, Normalization.None]),
    /**
     * Seconds of audio on each side that can change a logit frame (the receptive field, rounded
     * up). With it, the pipeline runs each phrase's own audio plus this much of its neighbours and
     * takes the padding frames from the neighbours' passes (see core/pipeline/modelWindows.ts).
     * Absent: unbounded (e.g. a transformer), so each phrase is run with its padding whole.
     */
    contextSec: z.number().min(0).max(30).optional(),
    /**
     * Model tokens onto catalog symbols (see core/model/tokenMap.ts): an object `{ "ə": "ʌ" }` or a
     * list of `["ə", "ʌ"]` pairs. Tokens mapped to one symbol are merged (probabilities summed).
     */
    tokenMap: z
      .union([z.record(z.string().min(1), z.string().min(1)), z.array(z.tuple([z.string().min(1), z.string().min(1)]))], {
        errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? 'must map model tokens to symbols: { "ə": "ʌ" } or [["ə", "ʌ"]]' : ctx.defaultError }),
      })
      .optional(),
    /** The integer version a Triton model repository serves this model under (default 1). */
    servingVersion: z.number().int().positive().optional(),
    description: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    if (new Set(m.vocabulary).size !== m.vocabulary.length) ctx.addIssue({ code: 'custom', path: ['vocabulary'], message: 'has duplicate tokens' });
    if (!m.vocabulary.includes(m.blank)) ctx.addIssue({ code: 'custom', path: ['blank'], message: `"${m.blank}" is not in the vocabulary` });
    if (!m.vocabulary.includes(m.separator)) ctx.addIssue({ code: 'custom', path: ['separator'], message: `"${m.separator}" is not in the vocabulary` });
    if (m.tokenMap) {
      for (const issue of tokenMapIssues(m.tokenMap, m, CATALOG_ALPHABET)) ctx.addIssue({ code: 'custom', path: ['tokenMap', ...issue.path], message: issue.message });
    }
    if (m.frameStride > m.sampleRate * MAX_FRAME_SEC) {
      ctx.addIssue({ code: 'custom', path: ['frameStride'], message: `${m.frameStride} samples is a frame over ${MAX_FRAME_SEC * 1000} ms at ${m.sampleRate} Hz` });
    }
  });

/** A validated model manifest. */
export type ModelManifest = z.infer<typeof manifestSchema>;

/** A model folder read from disk. */
export interface ModelFolder {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly onnxPath: string;
  /** The model bytes (checked against the manifest's sha256). */
  readonly onnx: Uint8Array;
}

/** Largest manifest.json read (a manifest is a few KB; a bigger one is not a manifest). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Largest model.onnx read (a wav2vec2-base export is about 370 MB). */
export const MAX_MODEL_BYTES = 1024 * 1024 * 1024;

/** Codes of {@link ModelError}s about the folder's files. */
const MODEL_FILE_CODES: Readonly<Record<FileProblemKind, string>> = {
  missing: 'missing',
  'not-a-file': 'not-a-file',
  unreadable: 'unreadable',
  'too-large': 'too-large',
};

/**
 * Reads one file of a model folder as a regular file of at most `maxBytes` (a FIFO, a device or
 * `/dev/zero` is refused before it is opened: nothing blocks, nothing streams forever).
 */
function readModelFile(path: string, maxBytes: number, missingCode: string, what: string): Buffer {
  try {
    return readRegularFileSync(path, { maxBytes });
  } catch (error) {
    const problem = fileProblemOf(error);
    if (!problem) throw error;
    const code = problem.kind === FileProblemKind.Missing ? missingCode : (MODEL_FILE_CODES[problem.kind] as string);
    throw new ModelError(code, path, `cannot read ${what}: ${problem.detail}`);
  }
}

/** Validates a parsed manifest object; `source` names it in errors. */
export function parseManifest(value: unknown, source: string): ModelManifest {
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ');
    throw new ModelError('bad-manifest', source, `invalid model manifest: ${issues}`);
  }
  return parsed.data;
}

/**
 * Reads `<dir>/manifest.json` and `<dir>/model.onnx` and checks the model's sha256.
 *
 * @example
 * const model = readModelFolder('models/letters-ctc-1.7.3');
 */
export function readModelFolder(dir: string): ModelFolder {
  const manifestPath = join(dir, 'manifest.json');
  const onnxPath = join(dir, 'model.onnx');
  const text = readModelFile(manifestPath, MAX_MANIFEST_BYTES, 'missing-manifest', 'the model manifest').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError('bad-manifest', manifestPath, `malformed JSON: ${(error as Error).message}`);
  }
  const manifest = parseManifest(json, manifestPath);
  const onnx = readModelFile(onnxPath, MAX_MODEL_BYTES, 'missing-model', 'the model');
  const actual = createHash('sha256').update(onnx).digest('hex');
  if (actual !== manifest.sha256) {
    throw new ModelError('checksum-mismatch', onnxPath, `sha256 is ${actual} but manifest.json says ${manifest.sha256}: the model file does not belong to this manifest`);
  }
  return { dir, manifest, onnxPath, onnx };
}

/** Number of logit frames that belong to `samples` input samples (the rest is batch padding). */
export function framesFor(samples: number, manifest: Pick<ModelManifest, 'frameStride'>): number {
  return Math.ceil(samples / manifest.frameStride);
}
