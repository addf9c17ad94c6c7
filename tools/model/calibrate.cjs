// Activation ranges for quantize.py: runs a calibration graph (the float model with the tensors to
// quantise added as outputs) on rows of normalised audio and writes, per tensor, its min, max and
// 0.01 / 99.99 / 99.999th percentiles (from every 7th value).
//
//   node tools/model/calibrate.cjs <calib.onnx> <names.json> <rows.f32> <rows.json> <out.json>
//
// rows.f32: the rows end to end as float32; rows.json: their lengths in samples.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ort = require(path.join(__dirname, '..', '..', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, namesFile, rowsFile, shapesFile, out] = process.argv.slice(2);
  if (!out) throw new Error('usage: calibrate.cjs <calib.onnx> <names.json> <rows.f32> <rows.json> <out.json>');
  const names = JSON.parse(fs.readFileSync(namesFile, 'utf8'));
  const shapes = JSON.parse(fs.readFileSync(shapesFile, 'utf8'));
  const buf = fs.readFileSync(rowsFile);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const total = shapes.reduce((a, b) => a + b, 0);
  if (total !== all.length) throw new Error(`${rowsFile}: ${all.length} samples, ${shapesFile} says ${total}`);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const acc = Object.fromEntries(names.map((n) => [n, { min: Infinity, max: -Infinity, sample: [] }]));
  let off = 0;
  for (const [i, n] of shapes.entries()) {
    const x = all.subarray(off, off + n);
    off += n;
    const r = await session.run({ audio: new ort.Tensor('float32', x, [1, n]) });
    for (const name of names) {
      const d = r[name].data;
      const a = acc[name];
      for (let k = 0; k < d.length; k++) {
        const v = d[k];
        if (v < a.min) a.min = v;
        if (v > a.max) a.max = v;
      }
      for (let k = 0; k < d.length; k += 7) a.sample.push(d[k]);
    }
    process.stderr.write(`\rcalibration row ${i + 1}/${shapes.length}`);
  }
  process.stderr.write('\n');
  const res = {};
  for (const name of names) {
    const a = acc[name];
    const s = Float32Array.from(a.sample).sort();
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    res[name] = { min: a.min, max: a.max, p0001: q(0.0001), p9999: q(0.9999), p99999: q(0.99999) };
  }
  fs.writeFileSync(out, JSON.stringify(res, null, 1));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
