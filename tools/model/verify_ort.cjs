// Runs model.onnx with onnxruntime-node on a raw float32 input and writes the logits.
// Usage: node verify_ort.cjs <model.onnx> <input.f32> <batch> <samples> <out.f32>
// Prints the output dims as JSON. Used by check_onnx.py to compare against PyTorch.
'use strict';
const fs = require('node:fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inPath, batch, samples, outPath] = process.argv.slice(2);
  const buf = fs.readFileSync(inPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const opt = process.env.ORT_OPT_LEVEL ? { graphOptimizationLevel: process.env.ORT_OPT_LEVEL } : {};
  const session = await ort.InferenceSession.create(modelPath, opt);
  const input = new ort.Tensor('float32', data, [Number(batch), Number(samples)]);
  const out = await session.run({ [session.inputNames[0]]: input });
  const logits = out[session.outputNames[0]];
  fs.writeFileSync(outPath, Buffer.from(logits.data.buffer, logits.data.byteOffset, logits.data.byteLength));
  process.stdout.write(`${JSON.stringify({ input: session.inputNames, output: session.outputNames, dims: logits.dims })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
