/** Finds activity manifests on disk: a file, a folder holding activity.json, or a tree of them. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ActivityInputError } from '../../core/errors';

const MANIFEST = 'activity.json';

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
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

/**
 * Resolves a CLI argument into manifest paths: `x.json` → itself; a folder with activity.json →
 * that file; any other folder → every activity.json below it; a glob (`*`, `**`, `?`) → matching
 * activity.json files, or the activity.json inside matching folders.
 */
export function findActivities(arg: string): string[] {
  if (/[*?]/.test(arg)) {
    const firstWild = arg.search(/[*?]/);
    const base = resolve(arg.slice(0, arg.lastIndexOf('/', firstWild) + 1) || '.');
    const matcher = globToRegExp(resolve(arg).split(sep).join('/'));
    const all: string[] = [];
    if (existsSync(base)) walk(base, all);
    const found = all.filter((f) => matcher.test(f.split(sep).join('/')) || matcher.test(resolve(f, '..').split(sep).join('/')));
    if (found.length === 0) throw new ActivityInputError('no-activities', arg, 'the pattern matches no activity.json');
    return found;
  }
  if (!existsSync(arg)) throw new ActivityInputError('not-found', arg, 'no such file or folder');
  if (statSync(arg).isFile()) return [arg];
  const direct = join(arg, MANIFEST);
  if (existsSync(direct)) return [direct];
  const all: string[] = [];
  walk(arg, all);
  if (all.length === 0) throw new ActivityInputError('no-activities', arg, `no ${MANIFEST} in this folder or below it`);
  return all.map((f) => relative(process.cwd(), f) || f);
}
