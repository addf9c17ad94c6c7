// How far a quantised model's integer kernels are from the same QDQ graph computed in float
// (onnxruntime with graph optimisations off: DequantizeLinear -> float Conv), on this CPU, over every
// example phrase (examples/*/p*.wav at 16 kHz, zero mean, unit variance). A uint8 x int8 model whose
// pairs saturate `vpmaddubsw` shows it here (1.7.1 on an AVX2-only CPU: max 30.6, mean 0.67).
//
//   node tools/model/int8_exact.cjs <model.onnx> [...]    (after `npm run build`)
//
// Prints one JSON object per model: {model, phrases, frames, max, mean, argmaxAgree, against}.
// REFERENCE=<float.onnx> compares against that model instead (how far quantisation moved the
// logits); ROWS=<rows.f32> (beside rows.json: lengths) replaces the example phrases with those rows.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ROOT = path.join(__dirname, '..', '..');
const ort = require(path.join(ROOT, 'node_modules', 'onnxruntime-node'));
const { readWav, resample } = require(path.join(ROOT, 'dist', 'core', 'audio'));

function phrases() {
  const dir = path.join(ROOT, 'examples');
  const out = [];
  for (const ex of fs.readdirSync(dir).sort()) {
    const d = path.join(dir, ex);
    if (!fs.statSync(d).isDirectory()) continue;
    for (const f of fs
      .readdirSync(d)
      .filter((n) => /^p\d+\.wav$/.test(n))
      .sort()) {
      const a = readWav(fs.readFileSync(path.join(d, f)), `${ex}/${f}`);
      const x = a.sampleRate === 16000 ? a.samples : resample(a.samples, a.sampleRate, 16000);
      let m = 0;
      for (const v of x) m += v;
      m /= x.length;
      let s = 0;
      for (const v of x) s += (v - m) ** 2;
      s = Math.sqrt(s / x.length) || 1;
      out.push(x.map((v) => (v - m) / s));
    }
  }
  return out;
}

/** Rows of `ROWS` (a rows.f32 of float32 rows end to end, beside rows.json with their lengths). */
function rowsFile(file) {
  const buf = fs.readFileSync(file);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const lengths = JSON.parse(fs.readFileSync(file.replace(/\.f32$/, '.json'), 'utf8'));
  let at = 0;
  return lengths.map((n) => all.subarray(at, (at += n)));
}

async function compare(model, rows, reference) {
  const open = (file, level) => ort.InferenceSession.create(file, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  const integer = await open(model, 'all');
  const float = reference ? await open(reference, 'all') : await open(model, 'disabled');
  let max = 0;
  let sum = 0;
  let n = 0;
  let agree = 0;
  let frames = 0;
  for (const x of rows) {
    const feed = { audio: new ort.Tensor('float32', x, [1, x.length]) };
    const a = (await integer.run(feed)).logits;
    const b = (await float.run(feed)).logits;
    const [, T, V] = a.dims;
    for (let t = 0; t < T; t++) {
      let ia = 0;
      let ib = 0;
      for (let v = 0; v < V; v++) {
        const k = t * V + v;
        const d = Math.abs(a.data[k] - b.data[k]);
        if (d > max) max = d;
        sum += d;
        n++;
        if (a.data[k] > a.data[t * V + ia]) ia = v;
        if (b.data[k] > b.data[t * V + ib]) ib = v;
      }
      agree += ia === ib ? 1 : 0;
      frames++;
    }
  }
  return { model, phrases: rows.length, frames, max: +max.toFixed(4), mean: +(sum / n).toFixed(5), argmaxAgree: +(agree / frames).toFixed(5) };
}

async function main() {
  const models = process.argv.slice(2);
  if (models.length === 0) throw new Error('usage: [REFERENCE=float.onnx] [ROWS=rows.f32] int8_exact.cjs <model.onnx> [...]');
  const rows = process.env.ROWS ? rowsFile(process.env.ROWS) : phrases();
  const results = [];
  for (const m of models) results.push({ ...(await compare(m, rows, process.env.REFERENCE)), against: process.env.REFERENCE ?? 'float QDQ' });
  process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exitCode = 1;
});
