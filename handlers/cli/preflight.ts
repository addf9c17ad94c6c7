/**
 * Checks of the command line's paths before anything is loaded or scored: a results folder that is
 * a file, an audio root that is not a folder, a model folder whose files are FIFOs or devices
 * (which would block the reader forever) are refused up front with exit 2.
 */
import { type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { prepareResultFolder } from '../../adapters/local/resultFolder';
import { ConfigError, ModelError } from '../../core/errors';
import { fileKind, fileProblemOf, regularFileProblem } from '../../core/files';

/** The files of a model folder that the model reader opens. */
const MODEL_FILES = ['manifest.json', 'model.onnx'] as const;

/**
 * Refuses a model folder whose manifest.json or model.onnx exists but is not a regular file
 * (a FIFO, a socket, a device, a folder); missing files are left to the model reader's message.
 */
export function checkModelFolderFiles(dir: string): void {
  for (const name of MODEL_FILES) {
    const path = join(dir, name);
    const problem = regularFileProblem(path);
    if (problem) throw new ModelError(problem.kind === 'not-a-file' ? 'not-a-file' : 'unreadable', path, `cannot read the model folder: ${problem.detail}`);
  }
}

/** Requires `dir` (the value of `flag`) to be an existing folder. */
export function checkFolder(dir: string, flag: string): void {
  let s: Stats;
  try {
    s = statSync(dir);
  } catch (error) {
    const problem = fileProblemOf(error);
    if (!problem) throw error;
    throw new ConfigError('bad-flag', flag, `${dir}: ${problem.detail}`);
  }
  if (!s.isDirectory()) throw new ConfigError('bad-flag', flag, `${dir} is ${fileKind(s)}, not a folder`);
}

/** The paths of a scoring command, checked. */
export interface ScoringPaths {
  readonly out?: string;
  readonly audioRoot?: string;
  readonly model?: string;
}

/** Checks the paths `score` and `batch` take, and creates the results folder. */
export function checkScoringPaths(paths: ScoringPaths): void {
  if (paths.out !== undefined) prepareResultFolder(paths.out, '--out');
  if (paths.audioRoot !== undefined) checkFolder(paths.audioRoot, '--audio-root');
  if (paths.model !== undefined) checkModelFolderFiles(paths.model);
}
