#!/usr/bin/env node
/**
 * Builds the native aligner (aligner/native/readscore_aligner.node) when Rust is available.
 * Never fails an install because Rust is missing or the build breaks: it prints one line and the
 * TypeScript aligner is used instead. Set ALIGNER_REQUIRE_NATIVE=1 (CI, the Lambda image) to make
 * a missing cargo or a failed build exit 1.
 */
const { spawnSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, renameSync } = require('node:fs');
const { join } = require('node:path');

const crateDir = __dirname;
const required = process.env.ALIGNER_REQUIRE_NATIVE === '1';
const LIB = { linux: 'libreadscore_aligner.so', darwin: 'libreadscore_aligner.dylib', win32: 'readscore_aligner.dll' };

function giveUp(message) {
  if (required) {
    console.error(`readscore: ${message} (ALIGNER_REQUIRE_NATIVE=1, failing)`);
    process.exit(1);
  }
  console.log(`readscore: ${message}; using the TypeScript aligner`);
  process.exit(0);
}

const cargo = process.env.CARGO || 'cargo';
const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) giveUp('cargo not found');

const lib = LIB[process.platform];
if (lib === undefined) giveUp(`no native build for platform ${process.platform}`);

const build = spawnSync(cargo, ['build', '--release', '--offline'], { cwd: crateDir, stdio: 'inherit' });
if (build.error || build.status !== 0) {
  giveUp(`native aligner build failed (${build.error ? build.error.message : `cargo exited ${build.status}`})`);
}

const targetDir = process.env.CARGO_TARGET_DIR || join(crateDir, 'target');
const built = join(targetDir, 'release', lib);
if (!existsSync(built)) giveUp(`cargo succeeded but ${built} is missing`);
const outDir = join(crateDir, 'native');
mkdirSync(outDir, { recursive: true });
// Copy then rename, so a running process never loads a half-written module.
const dest = join(outDir, 'readscore_aligner.node');
copyFileSync(built, `${dest}.tmp`);
renameSync(`${dest}.tmp`, dest);

const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(dest)}).threads()`], { encoding: 'utf8' });
if (check.status !== 0) giveUp(`built module does not load: ${(check.stderr || '').trim().split('\n')[0]}`);
console.log(`readscore: native aligner built at ${dest}`);
