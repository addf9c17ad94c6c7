/** Scores one activity manifest file: parse, read audio, score; shared by `score` and `batch`. */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ActivityInputError } from '../../core/errors';
import { localAudioSource } from '../../core/io/localFiles';
import { loadDefaultCatalog } from '../../core/items';
import { parseActivityJson } from '../../core/pipeline/activity';
import type { Engine } from '../../core/pipeline/engine';
import { type ScoreOptions, scoreActivity } from '../../core/pipeline/score';
import type { ActivityResult } from '../../core/scoring/types';

/** Reads, validates and scores the activity at `manifestPath`. */
export async function scoreManifest(manifestPath: string, engine: Engine, options: ScoreOptions): Promise<ActivityResult> {
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw new ActivityInputError('unreadable', manifestPath, `cannot read the activity manifest (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  const catalog = options.catalog ?? loadDefaultCatalog();
  const activity = parseActivityJson(text, catalog, manifestPath);
  return scoreActivity(activity, engine, localAudioSource(dirname(manifestPath)), { ...options, catalog });
}
