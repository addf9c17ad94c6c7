import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../core/audio';
import { runCli } from '../../test/hostile/cliHarness';
import { craftWave, framesForElements, writeTestModel } from '../../test/support/testModel';

const model = writeTestModel();
const ID = (n: number) => `${n}`.padStart(32, 'A');

/** Writes an activity folder: phrases of [items, spoken elements | raw bytes]. */
function writeActivity(root: string, name: string, phrases: [string[], string[] | Uint8Array][], id = ID(1)): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const manifest = {
    activityId: id,
    phrases: phrases.map(([items, spoken], phraseIndex) => {
      const audio = `p${phraseIndex}.wav`;
      writeFileSync(join(dir, audio), spoken instanceof Uint8Array ? spoken : encodeWav(craftWave(framesForElements(spoken)), 16000, 'float32'));
      return { phraseIndex, items, audio };
    }),
  };
  writeFileSync(join(dir, 'activity.json'), JSON.stringify(manifest));
  return dir;
}

const run = runCli;

describe('readscore score', () => {
  const root = mkdtempSync(join(tmpdir(), 'readscore-cli-'));
  const good = writeActivity(root, 'good', [
    [
      ['a_letter', 'b_letter', 'c_letter'],
      ['a', 'x', 'bi', 'si'],
    ],
    [['d_sound', 'e_letter'], ['dʌ']],
  ]);

  it('prints a per-phrase table and a summary, exit 0', async () => {
    const { code, out } = await run('score', good, '--model', model);
    expect(code).toBe(0);
    expect(out).toMatch(/Activity A{31}1/);
    expect(out).toMatch(/#\s+item\s+expected\s+heard\s+verdict\s+conf\s+time \(s\)/);
    expect(out).toMatch(/1\s+b_letter\s+bi\s+bi\s+correct\s+[01]\.\d\d/);
    expect(out).toMatch(/inserted: x before item 1/);
    expect(out).toMatch(/1\s+e_letter\s+i\s+-\s+omitted/);
    expect(out).toMatch(/Summary: 5 items, 4 correct \(0 accepted\), 1 errors \(0 substituted, 1 omitted\), 1 inserted, accuracy 80\.0 %/);
  });

  it('--json prints the result object and --out writes it', async () => {
    const outDir = join(root, 'results');
    const { code, out } = await run('score', join(good, 'activity.json'), '--model', model, '--json', '--out', outDir);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.totals).toMatchObject({ items: 5, correct: 4, omitted: 1, inserted: 1 });
    expect(JSON.parse(readFileSync(join(outDir, `${ID(1)}.json`), 'utf8'))).toEqual(result);
  });

  it('exits 2 and names the file when a phrase has corrupt audio, and still prints the rest', async () => {
    const dir = writeActivity(root, 'corrupt', [
      [['a_letter'], ['a']],
      [['b_letter'], new TextEncoder().encode('not a wav')],
    ]);
    const { code, out, err } = await run('score', dir, '--model', model);
    expect(code).toBe(2);
    expect(out).toMatch(/0\s+a_letter\s+a\s+a\s+correct/);
    expect(out).toMatch(/Phrase 1\s+UNSCORED: .*corrupt\/p1\.wav: not a WAV file/);
    expect(err).toMatch(/phrase 1 unscored: .*p1\.wav: not a WAV file/);
  });

  it('exits 2 with a message naming the manifest for malformed JSON', async () => {
    const dir = join(root, 'malformed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'activity.json'), '{"activityId": "A"');
    const { code, err } = await run('score', dir, '--model', model);
    expect(code).toBe(2);
    expect(err).toMatch(/malformed\/activity\.json: malformed JSON/);
  });

  it('exits 2 for an unknown item', async () => {
    const dir = writeActivity(root, 'unknown', [[['a_letter', 'zz_sound'], ['a']]]);
    const { code, err } = await run('score', dir, '--model', model);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown item "zz_sound" .*\[unknown-item\]/);
  });

  it('exits 2 for a missing path, a bad flag and an unknown command', async () => {
    expect((await run('score', join(root, 'nope'), '--model', model)).err).toMatch(/nope: no such file or folder/);
    expect((await run('score', good, '--threads', 'zero', '--model', model)).err).toMatch(/--threads: expected an integer from 1 to 64, got "zero"/);
    expect((await run('score', good, '--engine', 'gpu')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('takes a second-look margin or turns the second look off, and rejects contradictions', async () => {
    const off = await run('score', good, '--model', model, '--json', '--no-second-look');
    expect(off.code).toBe(0);
    expect(JSON.parse(off.out).totals).toMatchObject({ items: 5, correct: 4, omitted: 1 });
    expect((await run('score', good, '--model', model, '--json', '--second-look-margin', '0')).code).toBe(0);
    const negative = await run('score', good, '--model', model, '--second-look-margin=-1');
    expect(negative.code).toBe(2);
    expect(negative.err).toMatch(/--second-look-margin: expected a number from 0 to 100, got "-1"/);
    const both = await run('score', good, '--model', model, '--second-look-margin', '1', '--no-second-look');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--second-look-margin: a second-look margin and --no-second-look contradict each other/);
  });

  it('exits 2 naming the model folder when it has a bad checksum', async () => {
    const bad = writeTestModel({ sha256: 'b'.repeat(64) });
    const { code, err } = await run('score', good, '--model', bad);
    expect(code).toBe(2);
    expect(err).toMatch(/model\.onnx: sha256 is .* \[checksum-mismatch\]/);
  });
});

describe('readscore batch', () => {
  it('scores a tree of activities with bounded concurrency and a progress report', async () => {
    const root = mkdtempSync(join(tmpdir(), 'readscore-batch-'));
    for (let i = 0; i < 5; i++)
      writeActivity(
        root,
        `act${i}`,
        [
          [
            ['a_letter', 'b_letter'],
            ['a', 'bi'],
          ],
        ],
        ID(i),
      );
    const outDir = join(root, 'out');
    const { code, out, err } = await run('batch', root, '--model', model, '--concurrency', '2', '--out', outDir);
    expect(code).toBe(0);
    expect(out).toMatch(/Scored 5\/5 activities in .* concurrency 2 on 2 threads\); 0 partly unscored; 10\/10 items correct or accepted/);
    expect(err).toMatch(/\[#+\] 5\/5/);
    for (let i = 0; i < 5; i++) expect(existsSync(join(outDir, `${ID(i)}.json`))).toBe(true);
  });

  it('accepts a glob and keeps going past a bad activity (exit 2)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'readscore-glob-'));
    writeActivity(root, 'ok', [[['a_letter'], ['a']]]);
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken', 'activity.json'), '[]');
    const { code, out, err } = await run('batch', `${root}/*/activity.json`, '--model', model);
    expect(code).toBe(2);
    expect(out).toMatch(/Scored 1\/2 activities/);
    expect(err).toMatch(/broken\/activity\.json: \(root\): Expected object/);
  });
});

describe('readscore batch on scoring threads (CPU engine, --concurrency above 1)', () => {
  const tree = (name: string) => {
    const root = mkdtempSync(join(tmpdir(), `readscore-${name}-`));
    writeActivity(
      root,
      'a',
      [
        [
          ['a_letter', 'b_letter'],
          ['a', 'bi'],
        ],
      ],
      ID(1),
    );
    writeActivity(
      root,
      'b',
      [
        [['c_letter'], ['si']],
        [['d_letter'], ['di']],
      ],
      ID(2),
    );
    writeActivity(root, 'c', [[['a_letter'], ['bi']]], ID(3));
    return root;
  };
  /** The result files of a run without their timings (which differ run to run). */
  const results = (dir: string) =>
    [1, 2, 3].map((n) => {
      const result = JSON.parse(readFileSync(join(dir, `${ID(n)}.json`), 'utf8'));
      delete result.timings;
      return result;
    });

  it('writes the same results as one thread', async () => {
    const root = tree('threads');
    const one = await run('batch', root, '--model', model, '--concurrency', '1', '--out', join(root, 'one'));
    const three = await run('batch', root, '--model', model, '--concurrency', '3', '--out', join(root, 'three'));
    expect([one.code, three.code]).toEqual([0, 0]);
    expect(one.out).toMatch(/concurrency 1\);/);
    expect(three.out).toMatch(/Scored 3\/3 activities in .* concurrency 3 on 3 threads\); 0 partly unscored; 4\/5 items correct or accepted/);
    expect(results(join(root, 'three'))).toEqual(results(join(root, 'one')));
  });

  it('a model folder that fails to load in the threads is the same exit-2 error as in one thread', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'readscore-badmodel-'));
    writeFileSync(join(broken, 'manifest.json'), readFileSync(join(model, 'manifest.json')));
    writeFileSync(join(broken, 'model.onnx'), 'not the model');
    const root = tree('badmodel');
    const one = await run('batch', root, '--model', broken, '--concurrency', '1');
    const two = await run('batch', root, '--model', broken, '--concurrency', '2');
    expect([one.code, two.code]).toEqual([2, 2]);
    expect(two.err).toMatch(/model\.onnx: sha256 is [0-9a-f]{64} but manifest\.json says .* \[checksum-mismatch\]/);
    expect(two.err).toBe(one.err);
  });
});

describe('readscore model check', () => {
  it('passes on a good model folder and prints timings', async () => {
    const { code, out } = await run('model', 'check', model);
    expect(code).toBe(0);
    expect(out).toMatch(/model frame-picker@0\.0\.1 .* sha256 ok/);
    expect(out).toMatch(/1 s of silence: 50 frames × 38 classes, finite, [\d.]+ ms/);
    expect(out).toMatch(/model check passed/);
  });

  it('fails clearly on a wrong vocabulary size', async () => {
    const bad = writeTestModel({ vocabulary: [...Array(37).keys()].map((i) => (i === 0 ? '<pad>' : i === 1 ? '|' : `t${i}`)) });
    const { code, err } = await run('model', 'check', bad);
    expect(code).toBe(2);
    expect(err).toMatch(/outputs 38 classes but manifest\.json lists 37 vocabulary tokens \[vocab-mismatch\]/);
  });
});

describe('readscore score --engine triton', () => {
  it('scores through a TLS Triton stand-in, and refuses http:// with exit 2', async () => {
    const { startCliTritonStandIn } = await import('../../test/support/cliTritonStandIn');
    const triton = await startCliTritonStandIn(model);
    const root = mkdtempSync(join(tmpdir(), 'readscore-triton-cli-'));
    const activity = writeActivity(root, 'act', [
      [
        ['a_letter', 'b_letter'],
        ['a', 'bi'],
      ],
    ]);
    try {
      const { url, caFile } = triton;
      const viaTriton = await run('score', activity, '--engine', 'triton', '--triton-url', url, '--ca', caFile, '--model', model, '--json');
      expect(viaTriton.code).toBe(0);
      const result = JSON.parse(viaTriton.out);
      expect(result.engine).toBe('triton');
      expect(result.totals).toMatchObject({ items: 2, correct: 2 });
      const viaCpu = JSON.parse((await run('score', activity, '--model', model, '--json')).out);
      expect(result.phrases).toEqual(viaCpu.phrases);

      const refused = await run('score', activity, '--engine', 'triton', '--triton-url', `http://127.0.0.1:${triton.port}`, '--ca', caFile, '--model', model);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/--triton-url: HTTPS is required: plaintext connections to Triton are refused \(http:\/\/127\.0\.0\.1:\d+\)/);
      const noCa = await run('score', activity, '--engine', 'triton', '--triton-url', url, '--model', model);
      expect(noCa.code).toBe(2);
      expect(noCa.err).toMatch(/--ca: a CA bundle is required/);
    } finally {
      await triton.close();
    }
  });
});

describe('readscore triton-repo', () => {
  it('writes a Triton model repository from a model folder', async () => {
    const out = mkdtempSync(join(tmpdir(), 'readscore-repo-'));
    const { code, out: printed } = await run('triton-repo', model, out, '--max-batch-size', '16', '--preferred-batch', '4,8');
    expect(code).toBe(0);
    expect(printed).toMatch(/frame-picker\/config\.pbtxt/);
    const config = readFileSync(join(out, 'frame-picker', 'config.pbtxt'), 'utf8');
    expect(config).toMatch(/max_batch_size: 16/);
    expect(config).toMatch(/preferred_batch_size: \[ 4, 8 \]/);
    expect(existsSync(join(out, 'frame-picker', '1', 'model.onnx'))).toBe(true);
  });
});
