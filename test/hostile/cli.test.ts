/**
 * Hostile inputs for the command line: FIFOs where a manifest or a model file should be (class 5:
 * they used to block forever), `score /dev/null` and an unreadable folder in a tree (class 6: a
 * stack trace and exit 1), and the small ones (class 7): control characters in file names, empty
 * and negative flag values, help defaults. Tests run as root, so the unreadable folder is made by
 * making node:fs `readdirSync` fail with EACCES for it (and through findActivities' ListFolder seam).
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTINGS } from '../../core/config';
import { writeTestModel } from '../support/testModel';
import { ID, mkfifo, releaseFifoLater, releaseFifos, runCli, wav, writeManifest } from './cliHarness';

const fs = require('node:fs') as typeof import('node:fs');
const model = writeTestModel();
const root = mkdtempSync(join(tmpdir(), 'hostile-cli-'));
const fifos: string[] = [];
const releasers: ChildProcess[] = [];
afterAll(() => {
  releaseFifos(fifos);
  for (const child of releasers) child.kill();
});
const errno = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

function goodActivity(dir: string, id = ID(1)): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'p0.wav'), wav(['a']));
  return writeManifest(dir, [{ items: ['a_letter'], audio: 'p0.wav' }], id);
}

describe('FIFOs in place of files (class 5: no hang)', () => {
  it('refuses a FIFO as activity.json, alone and inside a tree of good activities', async () => {
    const fifoDir = join(root, 'fifo-manifest');
    mkdirSync(fifoDir);
    fifos.push(mkfifo(join(fifoDir, 'activity.json')));
    const alone = await runCli('score', join(fifoDir, 'activity.json'), '--model', model);
    expect(alone.code).toBe(2);
    expect(alone.err).toMatch(/activity\.json: is a FIFO \(named pipe\); give an activity\.json or a folder/);
    const tree = join(root, 'tree-with-fifo');
    goodActivity(join(tree, 'a'));
    mkdirSync(join(tree, 'b'));
    fifos.push(mkfifo(join(tree, 'b', 'activity.json')));
    const batch = await runCli('batch', tree, '--model', model);
    expect(batch.code).toBe(2);
    expect(batch.out).toMatch(/Scored 1\/2 activities/);
    expect(batch.err).toMatch(/b\/activity\.json: cannot read the activity manifest: is a FIFO \(named pipe\), not a regular file \[unreadable\]/);
  }, 10_000);

  it.each(['model.onnx', 'manifest.json'])(
    'refuses a FIFO as the model folder’s %s (score, model check)',
    async (name) => {
      const dir = mkdtempSync(join(tmpdir(), 'hostile-model-'));
      for (const file of ['model.onnx', 'manifest.json']) if (file !== name) copyFileSync(join(model, file), join(dir, file));
      fifos.push(mkfifo(join(dir, name)));
      // Today's model reader opens the FIFO synchronously: unblock it later, so a failure cannot hang the suite.
      releasers.push(releaseFifoLater(join(dir, name), 3_000), releaseFifoLater(join(dir, name), 6_000));
      const activity = goodActivity(join(root, `for-${name}`));
      for (const args of [
        ['score', activity, '--model', dir],
        ['model', 'check', dir],
      ]) {
        const { code, err } = await runCli(...args);
        expect(code).toBe(2);
        expect(err).toMatch(new RegExp(`${name.replace('.', '\\.')}: cannot read the model folder: is a FIFO \\(named pipe\\), not a regular file \\[not-a-file\\]`));
      }
    },
    20_000,
  );
});

describe('user configuration is not an internal error (class 6)', () => {
  it('score /dev/null: exit 2, one line, no stack trace', async () => {
    const { code, err } = await runCli('score', '/dev/null', '--model', model);
    expect(code).toBe(2);
    expect(err).toBe('readscore: /dev/null: is a character device; give an activity.json or a folder of activities [not-a-file]\n');
  });

  it('an unreadable folder in a tree is reported and the rest is scored (injected EACCES)', async () => {
    const tree = join(root, 'tree-unreadable');
    goodActivity(join(tree, 'ok'), ID(1));
    goodActivity(join(tree, 'locked'), ID(2));
    const realReaddir = fs.readdirSync;
    const readdir = jest.spyOn(fs, 'readdirSync').mockImplementation(((path: string, options: object) => {
      if (String(path).endsWith('locked')) throw errno('EACCES');
      return realReaddir(path, options as never);
    }) as typeof realReaddir);
    try {
      for (const command of ['score', 'batch']) {
        const { code, out, err } = await runCli(command, tree, '--model', model);
        expect(code).toBe(2);
        expect(err).toMatch(/locked: cannot list this folder: permission denied; activities in it are not scored \[unreadable-folder\]/);
        expect(err).not.toMatch(/internal error|\n\s+at /);
        expect(out).toMatch(command === 'score' ? /Activity A{31}1/ : /Scored 1\/1 activities .*; 1 folder\(s\) could not be read/);
      }
    } finally {
      readdir.mockRestore();
    }
  });

  it('findActivities reports a folder it cannot list through its ListFolder seam', () => {
    const { findActivities } = require('../../handlers/cli/activities') as typeof import('../../handlers/cli/activities');
    const tree = join(root, 'tree-seam');
    goodActivity(join(tree, 'ok'));
    goodActivity(join(tree, 'locked'));
    const found = findActivities(tree, (dir) => {
      if (dir.endsWith('locked')) throw errno('EACCES');
      return fs.readdirSync(dir, { withFileTypes: true });
    });
    expect(found.manifests).toEqual([expect.stringMatching(/ok\/activity\.json$/)]);
    expect(found.problems.map((p) => p.code)).toEqual(['unreadable-folder']);
  });

  it('an internal fault is one line without a stack trace, and the stack only with --debug', async () => {
    const activity = goodActivity(join(root, 'fault'));
    const fsPromises = require('node:fs/promises') as typeof import('node:fs/promises');
    const open = jest.spyOn(fsPromises, 'open').mockRejectedValue(new Error('injected fault'));
    try {
      const plain = await runCli('score', activity, '--model', model);
      expect(plain.code).toBe(1);
      expect(plain.err).toMatch(/internal error: injected fault \(--debug shows the stack trace\)\n$/);
      expect(plain.err).not.toMatch(/\n\s+at /);
      const debug = await runCli('score', activity, '--model', model, '--debug');
      expect(debug.code).toBe(1);
      expect(debug.err).toMatch(/internal error: injected fault\nError: injected fault\n\s+at /);
    } finally {
      open.mockRestore();
    }
  });
});

describe('small ones (class 7)', () => {
  it('escapes control characters in file names in every message (no forged lines, no escape codes)', async () => {
    const dir = join(root, 'evil\n[ok] forged line\u001b[2J');
    goodActivity(dir);
    const manifest = writeManifest(dir, [
      { items: ['a_letter'], audio: 'p0.wav' },
      { items: ['b_letter'], audio: 'gone\r\u001b[31m.wav' },
    ]);
    for (const args of [
      ['score', manifest, '--model', model],
      ['batch', dir, '--model', model],
    ]) {
      const { out, err } = await runCli(...args);
      for (const text of [out, err]) {
        expect([text.includes('\u001b'), text.includes('\r')]).toEqual([false, false]);
        expect(text).not.toMatch(/^\[ok\] forged line/m);
      }
      expect(`${out}${err}`).toMatch(/evil\\n\[ok\] forged line\\x1b\[2J/);
      if (args[0] === 'score') expect(`${out}${err}`).toMatch(/gone\\r\\x1b\[31m\.wav: audio file not found/);
    }
  });

  it('refuses an empty number (--pad-sec "") instead of reading it as 0', async () => {
    const activity = goodActivity(join(root, 'pad'));
    const { code, err } = await runCli('score', activity, '--model', model, '--pad-sec', '');
    expect(code).toBe(2);
    expect(err).toMatch(/--pad-sec: expected a number from 0 to 30, got ""/);
  });

  it.each([
    ['--pad-sec', '-1', /--pad-sec: expected a number from 0 to 30, got "-1"/],
    ['--max-audio-sec', '-5', /--max-audio-sec: expected a number from 0\.001 to 7200, got "-5"/],
    ['--threads', '-2', /--threads: expected an integer from 1 to 64, got "-2"/],
    ['--concurrency', '-3', /--concurrency: expected an integer from 1 to 64, got "-3"/],
  ])('a negative value (%s %s) gets the range message, not "argument is ambiguous"', async (flag, value, message) => {
    const activity = goodActivity(join(root, `neg${flag}`));
    for (const args of [[flag, value], [`${flag}=${value}`]]) {
      const { code, err } = await runCli('batch', activity, '--model', model, ...args);
      expect(code).toBe(2);
      expect(err).toMatch(message);
      expect(err).not.toMatch(/ambiguous/);
    }
  });

  it('help shows the defaults the code uses', async () => {
    const { code, out } = await runCli('--help');
    expect(code).toBe(0);
    for (const s of SETTINGS) {
      if (!s.flag) continue;
      expect(out).toContain(`--${s.flag} `);
      // Switches (default false) and the model folder (a path, not a value) have no "(default …)".
      if (s.defaultText === undefined || s.defaultText === 'false' || s.path === 'engine.modelDir') continue;
      expect([s.flag, out]).toEqual([s.flag, expect.stringMatching(new RegExp(`--${s.flag}\\b[^\\n]*(\\n {26}[^\\n]*)*\\(default ${s.defaultText}\\b`))]);
    }
  });
});
