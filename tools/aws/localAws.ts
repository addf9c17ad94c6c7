/**
 * Local AWS for tests and benchmarks: starts `moto_server` (S3, SQS, Secrets Manager, Athena,
 * CloudWatch) on a free loopback port and stops it afterwards.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Fake credentials moto accepts; never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
export const LOCAL_REGION = 'us-east-1';

/** True when moto_server can be started here. */
export function motoAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running moto_server. */
export interface LocalAws {
  readonly endpoint: string;
  stop(): Promise<void>;
  /** Queues Athena results: each later StartQueryExecution takes the next one (moto's API). */
  seedAthenaResults(results: readonly { columns: readonly string[]; rows: readonly (readonly (string | null)[])[] }[]): Promise<void>;
  /** Forgets every resource (between tests). */
  reset(): Promise<void>;
}

/** Starts moto_server on a free loopback port and waits until it answers (bounded: 20 s). */
export async function startLocalAws(): Promise<LocalAws> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
    async seedAthenaResults(results) {
      const body = {
        region: LOCAL_REGION,
        results: results.map((r) => ({
          column_info: r.columns.map((name) => ({ Name: name, Label: name, Type: 'varchar' })),
          // Athena returns the header as the first row of the first page.
          rows: [{ Data: r.columns.map((c) => ({ VarCharValue: c })) }, ...r.rows.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) }))],
        })),
      };
      const response = await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      if (response.status !== 201) throw new Error(`seeding Athena results failed: ${response.status}`);
    },
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
  };
}
