// The pool's own bookkeeping with stand-in threads: a thread that dies mid-activity costs that
// activity (an internal failure naming it), never the others, and a fresh thread takes its place.
import { Worker } from 'node:worker_threads';
import { startScoringPool, type WorkerInit } from './pool';

/** A thread that is ready at once and answers each manifest, or exits when the manifest says so. */
const STAND_IN = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type === 'close') return process.exit(0);
  if (m.manifest.includes('crash')) process.exit(7);
  parentPort.postMessage({ type: 'outcome', id: m.id, outcome: { ok: true, items: 1, correct: 1, incomplete: false } });
});
parentPort.postMessage({ type: 'ready' });
`;

const init = { flags: {}, env: {} } as unknown as WorkerInit;

describe('startScoringPool', () => {
  it('fails only the activity whose thread died, and scores the rest on a fresh thread', async () => {
    let started = 0;
    const spawn = () => {
      started++;
      return new Worker(STAND_IN, { eval: true });
    };
    const pool = await startScoringPool(1, init, spawn);
    try {
      const first = await pool.score('a/activity.json');
      const crashed = await pool.score('crash/activity.json');
      const after = await Promise.all([pool.score('b/activity.json'), pool.score('c/activity.json')]);
      expect(first).toEqual({ ok: true, items: 1, correct: 1, incomplete: false });
      expect(crashed).toEqual({ ok: false, failure: { exit: 1, line: 'crash/activity.json: internal error: the scoring thread failed: scoring thread exited with code 7' } });
      expect(after.every((o) => o.ok)).toBe(true);
      expect(started).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('reports every waiting activity when no fresh thread can start', async () => {
    let started = 0;
    const spawn = () => (started++ === 0 ? new Worker(STAND_IN, { eval: true }) : new Worker('process.exit(3)', { eval: true }));
    const pool = await startScoringPool(1, init, spawn);
    try {
      const outcomes = await Promise.all([pool.score('crash/activity.json'), pool.score('next/activity.json')]);
      expect(outcomes[0]).toMatchObject({ ok: false, failure: { exit: 1 } });
      expect(outcomes[1]).toEqual({
        ok: false,
        failure: { exit: 1, line: 'next/activity.json: internal error: no scoring thread: scoring thread exited with code 3 before it was ready' },
      });
    } finally {
      await pool.close();
    }
  });
});
