import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audioRoot, isWithin, realPathAsFarAsItExists } from './audioRoot';

describe('isWithin', () => {
  it('accepts the root and paths below it, nothing else', () => {
    expect(isWithin('/a/b', '/a/b')).toBe(true);
    expect(isWithin('/a/b', '/a/b/c.wav')).toBe(true);
    expect(isWithin('/a/b', '/a/bc.wav')).toBe(false);
    expect(isWithin('/a/b', '/a')).toBe(false);
    expect(isWithin('/a/b', '/etc/shadow')).toBe(false);
  });
});

describe('realPathAsFarAsItExists', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'realpath-')));
  mkdirSync(join(dir, 'out'));
  symlinkSync(join(dir, 'out', 'missing.wav'), join(dir, 'dangling.wav'));
  symlinkSync('dangling.wav', join(dir, 'chain.wav'));

  it('follows a dangling link (and a chain of them) to where it points', async () => {
    expect(await realPathAsFarAsItExists(join(dir, 'dangling.wav'))).toBe(join(dir, 'out', 'missing.wav'));
    expect(await realPathAsFarAsItExists(join(dir, 'chain.wav'))).toBe(join(dir, 'out', 'missing.wav'));
  });

  it('resolves a missing file below an existing folder to itself', async () => {
    expect(await realPathAsFarAsItExists(join(dir, 'nope', 'x.wav'))).toBe(join(dir, 'nope', 'x.wav'));
  });
});

describe('audioRoot', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'root-')));
  mkdirSync(join(root, 'act'));
  writeFileSync(join(root, 'act', 'a.wav'), 'x');
  symlinkSync('/etc', join(root, 'act', 'etc'));
  const inAct = audioRoot(join(root, 'act'), join(root, 'act'));

  it('resolves references inside the folder to their real path', async () => {
    expect(await inAct('a.wav')).toEqual({ inside: true, path: join(root, 'act', 'a.wav') });
  });

  it('refuses ../, absolute paths and links out, existing or not', async () => {
    for (const ref of ['../x.wav', '/etc/passwd', 'etc/passwd', 'etc/no-such-file']) expect(await inAct(ref)).toEqual({ inside: false });
  });

  it('takes references relative to the manifest folder but checks them against a wider root', async () => {
    expect(await audioRoot(root, join(root, 'act'))('../act/a.wav')).toEqual({ inside: true, path: join(root, 'act', 'a.wav') });
  });
});
