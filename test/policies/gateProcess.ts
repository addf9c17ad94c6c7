/** Runs `policies/gate/run.ts` as a child process (what `npm run policy` does) and captures its output. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/** The gate's exit code and output. */
export interface GateRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the gate with `args`; kills it after `timeoutMs`. */
export function runGate(args: string[], timeoutMs = 50_000): Promise<GateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'policies/gate/run.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The `level policy resource` header lines of the gate's report (prefixed `stack: ` with `withStack`). */
export function violationLines(stdout: string, level?: 'mandatory' | 'advisory', withStack = false): string[] {
  let stack = '';
  const lines: string[] = [];
  for (const line of stdout.split('\n')) {
    const header = /^== stack (\S+):/.exec(line);
    if (header) stack = header[1] ?? '';
    if (!/^ {2}(mandatory|advisory) /.test(line) || (level && !line.trimStart().startsWith(level))) continue;
    const text = line.trim().replace(/\s+/g, ' ');
    lines.push(withStack ? `${stack}: ${text}` : text);
  }
  return lines;
}
