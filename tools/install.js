#!/usr/bin/env node
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const run = (what, command, args) => {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error || result.status !== 0) {
    console.error(`readscore: ${what} failed (${result.error ? result.error.message : `exit ${result.status}`})`);
    process.exit(1);
  }
  console.log(`readscore: ${what} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
};

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (existsSync(tsc)) {
  run('TypeScript build', process.execPath, [tsc, '-p', 'tsconfig.build.json']);
  run('asset copy', process.execPath, [join(root, 'tools', 'copy-assets.js')]);
} else if (!existsSync(join(root, 'dist'))) {
  console.error('readscore: TypeScript is not installed and dist/ is missing; run `npm ci` (with dev dependencies)');
  process.exit(1);
}
run('aligner build', process.execPath, [join(root, 'aligner', 'build.js')]);
