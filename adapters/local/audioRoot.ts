/**
 * The path rule for audio named by a local manifest: a reference resolves inside the manifest's
 * folder (or an explicit `--audio-root`), symbolic links included. Both the root and the reference
 * are resolved to real paths and compared, and the decision is made before anything outside is
 * opened, so the answer for a path outside is the same whatever is there (or is not).
 */
import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** Where a reference resolved to. */
export type Resolved = { readonly inside: true; readonly path: string } | { readonly inside: false };

const MAX_LINK_HOPS = 40;

/** True when `path` is `root` or below it (both absolute and normalised). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path of `path` as far as it exists: symbolic links are followed even when their target
 * (or a later component) is missing, so a dangling link pointing outside is seen as outside.
 * Errors other than "not found" (ELOOP, EACCES, ENAMETOOLONG) propagate.
 */
export async function realPathAsFarAsItExists(path: string, hops = 0): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  const parent = dirname(path);
  if (parent === path) return path;
  const realParent = await realPathAsFarAsItExists(parent, hops);
  const candidate = join(realParent, basename(path));
  let target: string;
  try {
    target = await readlink(candidate);
  } catch {
    return candidate; // missing, or not a link: this is as far as it resolves
  }
  if (hops >= MAX_LINK_HOPS) throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
  return realPathAsFarAsItExists(resolve(realParent, target), hops + 1);
}

/**
 * A resolver of references against `root` (absolute or relative to the working directory), with
 * references relative to `baseDir`. The root's real path is looked up once.
 */
export function audioRoot(root: string, baseDir: string): (ref: string) => Promise<Resolved> {
  const lexicalRoot = resolve(root);
  let realRoot: Promise<string> | undefined;
  return async (ref) => {
    const lexical = resolve(baseDir, ref);
    // Lexically outside: refused without touching the file system at all.
    if (!isWithin(lexicalRoot, lexical)) return { inside: false };
    realRoot ??= realPathAsFarAsItExists(lexicalRoot);
    const [rootPath, path] = await Promise.all([realRoot, realPathAsFarAsItExists(lexical)]);
    return isWithin(rootPath, path) ? { inside: true, path } : { inside: false };
  };
}
