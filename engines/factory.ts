/** Chooses and loads the inference engine named by configuration. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../core/errors';
import { readModelFolder } from '../core/model';
import type { Engine } from '../core/pipeline/engine';
import { CpuOnnxEngine } from './cpuOnnx';
import { parseTritonConfig, type TritonConfigInput } from './triton/config';
import { type SecretReader, TritonEngine } from './triton/tritonEngine';

/** Engine kinds the factory knows. */
export const EngineKind = { Cpu: 'cpu', Triton: 'triton' } as const;
export type EngineKind = (typeof EngineKind)[keyof typeof EngineKind];

/** Engine configuration (from CLI flags or stack config). */
export interface EngineConfig {
  kind: EngineKind;
  /** Model folder (manifest.json + model.onnx); defaults to the bundled model. */
  modelDir?: string;
  /** CPU engine: intra-op threads (default 1). */
  intraOpThreads?: number;
  /** Triton engine settings (required for kind `triton`). */
  triton?: TritonConfigInput;
  /** Reads Secrets Manager secrets (a CA bundle kept there). */
  secrets?: SecretReader;
}

/** The bundled default model, relative to the project root. */
export const BUNDLED_MODEL = 'models/letters-ctc-1.7.3';

/** The project root (the folder holding package.json), from source or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Resolves the model folder: the configured one, or the bundled default. */
export function resolveModelDir(modelDir?: string): string {
  return modelDir ? resolve(modelDir) : join(projectRoot(), BUNDLED_MODEL);
}

/**
 * Loads the engine the configuration names.
 *
 * @example
 * const engine = await createEngine({ kind: 'cpu' });
 */
export async function createEngine(config: EngineConfig): Promise<Engine> {
  switch (config.kind) {
    case EngineKind.Cpu:
      return CpuOnnxEngine.load(readModelFolder(resolveModelDir(config.modelDir)), { intraOpThreads: config.intraOpThreads ?? 1 });
    case EngineKind.Triton: {
      if (!config.triton) throw new ConfigError('bad-triton-config', 'triton.url', 'the Triton engine needs a URL (--triton-url https://host:port)');
      // Parsed first: an http:// URL is refused before any file or socket is touched.
      const triton = parseTritonConfig(config.triton);
      const model = readModelFolder(resolveModelDir(config.modelDir));
      const fallback = triton.fallbackToCpu ? await CpuOnnxEngine.load(model, { intraOpThreads: config.intraOpThreads ?? 1 }) : undefined;
      try {
        return await TritonEngine.load({ config: triton, model, ...(fallback ? { fallback } : {}), ...(config.secrets ? { secrets: config.secrets } : {}) });
      } catch (error) {
        await fallback?.close();
        throw error;
      }
    }
    default:
      throw new ConfigError('bad-engine', 'engine', `unknown engine "${String((config as EngineConfig).kind)}" (expected cpu or triton)`);
  }
}
