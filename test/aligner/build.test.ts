/** aligner/build.js: a missing or broken Rust toolchain never fails the install unless required. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(__dirname, '..', '..', 'aligner', 'build.js');

function runBuild(env: Record<string, string>) {
  const { ALIGNER_REQUIRE_NATIVE: _ignored, ...base } = process.env;
  const result = spawnSync(process.execPath, [script], { env: { ...base, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

describe('aligner/build.js', () => {
  it('prints one line and exits 0 when cargo is missing', () => {
    const r = runBuild({ CARGO: join(tmpdir(), 'no-such-cargo') });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('readscore: cargo not found; using the TypeScript aligner');
  });

  it('exits 1 when cargo is missing and ALIGNER_REQUIRE_NATIVE=1', () => {
    const r = runBuild({ CARGO: join(tmpdir(), 'no-such-cargo'), ALIGNER_REQUIRE_NATIVE: '1' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cargo not found/);
  });

  it('prints the build error and falls back when the Rust build fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-cargo-'));
    const fake = join(dir, 'cargo');
    writeFileSync(fake, '#!/bin/sh\n[ "$1" = "--version" ] && exit 0\necho "error[E0425]: broken on purpose" >&2\nexit 101\n');
    chmodSync(fake, 0o755);
    const r = runBuild({ CARGO: fake });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/broken on purpose/);
    expect(r.stdout).toMatch(/native aligner build failed \(cargo exited 101\); using the TypeScript aligner/);
    expect(runBuild({ CARGO: fake, ALIGNER_REQUIRE_NATIVE: '1' }).status).toBe(1);
  });
});
