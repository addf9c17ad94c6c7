/**
 * Docker cannot run here, so the Lambda image is checked statically against the built tree: every
 * path its Dockerfile copies exists after `npm run build`, its CMD names a real exported handler,
 * and the code that handler loads needs production dependencies only (no @pulumi/*, no dev tools).
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const root = join(__dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'docker', 'lambda', 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages[stages.length - 1] as string;
const built = existsSync(join(root, 'dist', 'handlers', 'lambda', 'score.js'));
const nativeBuilt = existsSync(join(root, 'aligner', 'native', 'readscore_aligner.node'));

/** `COPY [--from=x] a b dest` → the sources, as repository paths. */
function copySources(stage: string): string[] {
  return [...stage.matchAll(/^COPY\s+(.+)$/gm)].flatMap((m) => {
    const words = (m[1] as string).split(/\s+/);
    const from = words[0]?.startsWith('--from=');
    const sources = words.filter((w) => !w.startsWith('--')).slice(0, -1);
    return sources.map((s) => (from ? s.replace(/^\/build\//, '') : s).replace(/\/$/, ''));
  });
}

/** Package names a compiled module requires (relative requires followed, within dist/). */
function requiredPackages(entry: string, seen = new Set<string>(), packages = new Set<string>()): Set<string> {
  if (seen.has(entry)) return packages;
  seen.add(entry);
  const code = readFileSync(entry, 'utf8');
  for (const m of code.matchAll(/require\("([^"]+)"\)/g)) {
    const spec = m[1] as string;
    if (spec.startsWith('.')) {
      const base = resolve(dirname(entry), spec);
      const file = [`${base}.js`, join(base, 'index.js'), base].find((f) => existsSync(f) && f.endsWith('.js'));
      if (file) requiredPackages(file, seen, packages);
    } else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
      packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
  }
  return packages;
}

const describeBuilt = built ? describe : describe.skip;

describe('docker/lambda/Dockerfile', () => {
  it('builds the aligner on the Lambda base (glibc 2.34) and installs production dependencies only', () => {
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage).toMatch(/^public\.ecr\.aws\/lambda\/nodejs:20\b/);
    expect(stages[0]).toMatch(/npm ci --omit=dev/);
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@pulumi/'))).toEqual([]);
  });

  it('copies only paths that exist in the build context', () => {
    for (const source of copySources(stages[0] as string)) expect([source, existsSync(join(root, source))]).toEqual([source, true]);
  });

  describeBuilt('after npm run build', () => {
    it('copies only paths that exist in the built tree', () => {
      for (const source of copySources(runtime)) {
        if (source === 'node_modules' || (source.startsWith('aligner/native/') && !nativeBuilt && process.env.ALIGNER_REQUIRE_NATIVE !== '1')) continue;
        expect([source, existsSync(join(root, source))]).toEqual([source, true]);
      }
    });

    it('names real exported handlers: CMD and the enqueuer override', () => {
      const cmd = /^CMD \["([^"]+)"\]/m.exec(runtime)?.[1];
      expect(cmd).toBe('dist/handlers/lambda/score.handler');
      for (const name of [cmd as string, 'dist/handlers/lambda/enqueue.handler']) {
        const at = name.lastIndexOf('.');
        const module = require(join(root, `${name.slice(0, at)}.js`)) as Record<string, unknown>;
        expect(typeof module[name.slice(at + 1)]).toBe('function');
      }
      expect(dockerfile).toMatch(/handlers\/lambda\/enqueue\.handler/);
    });

    it('loads no dev dependency from the handlers', () => {
      for (const entry of ['score.js', 'enqueue.js']) {
        const packages = [...requiredPackages(join(root, 'dist', 'handlers', 'lambda', entry))];
        expect(packages.length).toBeGreaterThan(3);
        expect(packages.filter((p) => !(p in pkg.dependencies)).map((p) => `${entry} requires ${p}, not a production dependency`)).toEqual([]);
      }
    });
  });
});
