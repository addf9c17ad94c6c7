/** Finds activity manifests on disk: a file, a folder holding activity.json, or a tree of them. */
import { type Dirent, existsSync, readdirSync, type Stats, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ActivityInputError } from '../../core/errors';
import { fileKind, fileProblemOf } from '../../core/files';

const MANIFEST = 'activity.json';

/** Lists a folder (the seam tests use to make a folder unreadable: they run as root). */
export type ListFolder = (dir: string) => Dirent[];

const listFolder: ListFolder = (dir) => readdirSync(dir, { withFileTypes: true });

/** What was found: the manifests, and the folders below the argument that could not be listed. */
export interface FoundActivities {
  readonly manifests: string[];
  /** One ActivityInputError per folder that could not be read; its activities are not scored. */
  readonly problems: ActivityInputError[];
}

function folderError(dir: string, error: unknown): ActivityInputError {
  const problem = fileProblemOf(error);
  if (!problem) throw error;
  return new ActivityInputError('unreadable-folder', relative(process.cwd(), dir) || dir, `cannot list this folder: ${problem.detail}; activities in it are not scored`);
}

/** Every activity.json below `dir`; symbolic links to folders are not followed (no loops). */
function walk(dir: string, out: string[], problems: ActivityInputError[], list: ListFolder): void {
  let entries: Dirent[];
  try {
    entries = list(dir);
  } catch (error) {
    problems.push(folderError(dir, error));
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out, problems, list);
    else if (entry.name === MANIFEST) out.push(path);
  }
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function statArg(arg: string): Stats {
  try {
    return statSync(arg);
  } catch (error) {
    const problem = fileProblemOf(error);
    if (!problem) throw error;
    if (problem.kind === 'missing') throw new ActivityInputError('not-found', arg, 'no such file or folder');
    throw new ActivityInputError('unreadable', arg, `cannot read it: ${problem.detail}`);
  }
}

/**
 * Resolves a CLI argument into manifest paths: `x.json` → itself; a folder with activity.json →
 * that file; any other folder → every activity.json below it; a glob (`*`, `**`, `?`) → matching
 * activity.json files, or the activity.json inside matching folders. A folder below the argument
 * that cannot be listed is reported in `problems` and the rest is still found; an argument that is
 * neither a regular file nor a folder (`/dev/null`, a FIFO) is an ActivityInputError.
 */
export function findActivities(arg: string, list: ListFolder = listFolder): FoundActivities {
  const problems: ActivityInputError[] = [];
  const none = (message: string): never => {
    throw problems[0] ?? new ActivityInputError('no-activities', arg, message);
  };
  if (arg.includes('\0')) throw new ActivityInputError('unreadable', arg, 'the path contains a NUL character');
  if (/[*?]/.test(arg)) {
    const firstWild = arg.search(/[*?]/);
    const base = resolve(arg.slice(0, arg.lastIndexOf('/', firstWild) + 1) || '.');
    const matcher = globToRegExp(resolve(arg).split(sep).join('/'));
    const all: string[] = [];
    if (existsSync(base)) walk(base, all, problems, list);
    const found = all.filter((f) => matcher.test(f.split(sep).join('/')) || matcher.test(resolve(f, '..').split(sep).join('/')));
    if (found.length === 0) none('the pattern matches no activity.json');
    return { manifests: found, problems };
  }
  const s = statArg(arg);
  if (s.isFile()) return { manifests: [arg], problems };
  if (!s.isDirectory()) throw new ActivityInputError('not-a-file', arg, `is ${fileKind(s)}; give an activity.json or a folder of activities`);
  const direct = join(arg, MANIFEST);
  if (existsSync(direct)) return { manifests: [direct], problems };
  const all: string[] = [];
  walk(arg, all, problems, list);
  if (all.length === 0) none(`no ${MANIFEST} in this folder or below it`);
  return { manifests: all.map((f) => relative(process.cwd(), f) || f), problems };
}
