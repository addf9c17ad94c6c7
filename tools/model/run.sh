#!/usr/bin/env bash
# Regenerates data, trains, exports, evaluates letters-ctc and rewrites examples/. Seeds are fixed.
# Not run in CI. Needs Debian packages (see README.md) and /usr/bin/python3; ~4 h on a 2-core CPU.
#   MODEL_VERSION=1.7.0 bash tools/model/run.sh      # -> models/letters-ctc-1.7.0/
set -euo pipefail
cd "$(dirname "$0")"
: "${MODEL_VERSION:?must be set to the version being built, e.g. MODEL_VERSION=1.7.0 bash tools/model/run.sh (it names models/letters-ctc-<version>/ and has no default, so the bundled model is never overwritten)}"
export MODEL_VERSION
PY=/usr/bin/python3
THREADS="${THREADS:-$(nproc)}"
export THREADS OMP_NUM_THREADS="$THREADS"
mkdir -p work
REAL_SPEECH="${REAL_SPEECH:-0}"   # 1: mix recorded speech (real_speech.py) into training, see README.md
export REAL_SPEECH
tools="espeak-ng flite festival node"
[ "$REAL_SPEECH" = 1 ] && tools="$tools ffmpeg"
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see tools/model/README.md)" >&2; exit 1; }
done
$PY -c 'import torch, onnx, scipy, numpy' || { echo "missing python3-torch/onnx/scipy (apt)" >&2; exit 1; }
# Checked now, not after hours of training: a valid version whose folder holds no model yet
# (MODEL_OVERWRITE=1 to replace one).
OUT_DIR="$($PY -c 'import export; print(export.output_dir())')"

TRAIN_CHUNKS="${TRAIN_CHUNKS:-16}" $PY gen_data.py 2>&1 | tee work/gen.log
# recorded speech: the training chunk only with REAL_SPEECH=1; its dev split feeds EVAL.md's
# real-speech section whenever the packages are installed
if [ "$REAL_SPEECH" = 1 ] || [ -d /usr/share/asterisk/sounds/en_US_f_Allison ]; then
  command -v ffmpeg >/dev/null && $PY real_speech.py 2>&1 | tee work/real_speech.log
fi
rm -f work/train.part*.log
RESUME="${RESUME:-0}" TRAIN_MINUTES="${TRAIN_MINUTES:-230}" BLOCKS="${BLOCKS:-10}" BATCH_SECONDS="${BATCH_SECONDS:-80}" \
  $PY train.py 2>&1 | tee work/train.log
$PY average.py 4 2>&1 | tee work/average.log   # -> work/ckpt/final.pt (average of the last 4 if better on val)
$PY export.py work/ckpt/final.pt
$PY evaluate.py 2>&1 | tee work/eval.log
$PY make_examples.py
echo "done: $OUT_DIR/ and examples/"
