/** AthenaQueries: parameterised runs against moto, and the failure paths against a scripted fake client. */
import { AthenaClient, GetQueryExecutionCommand } from '@aws-sdk/client-athena';
import { ActivityInputError, ConfigError } from '../../core/errors';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { AthenaQueries, AthenaQueryError, athenaTimestampToIso, sqlString } from './athena';

const A = 'ABCDEF0123456789ABCDEF0123456789';
const B = '0123456789ABCDEF0123456789ABCDEF';
const ACTIVITY_COLUMNS = ['activityid', 'storyid', 'studentid', 'districtid', 'type', 'createdat', 'status'];

/** A fake Athena that answers GetQueryExecution with `states` in turn (the last one repeats). */
function scriptedAthena(
  states: readonly { State: string; StateChangeReason?: string }[],
  pages: readonly { Rows: { Data: { VarCharValue?: string }[] }[]; NextToken?: string }[] = [],
) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  let polls = 0;
  let page = 0;
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      switch (name) {
        case 'StartQueryExecutionCommand':
          return { QueryExecutionId: 'q-1' };
        case 'GetQueryExecutionCommand': {
          const status = states[Math.min(polls++, states.length - 1)];
          return { QueryExecution: { QueryExecutionId: 'q-1', Status: status } };
        }
        case 'GetQueryResultsCommand': {
          const p = pages[page++];
          return { ResultSet: { Rows: p?.Rows ?? [], ResultSetMetadata: { ColumnInfo: [{ Name: 'x' }, { Name: 'y' }] } }, NextToken: p?.NextToken };
        }
        case 'StopQueryExecutionCommand':
          return {};
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  };
  return { client: client as unknown as AthenaClient, sent, names: () => sent.map((s) => s.name) };
}

/** A clock advanced only by the fake sleep, so polling is instant and deterministic. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    t += ms;
  };
  return { now: () => t, sleep, sleeps };
}

describe('AthenaQueries (scripted client)', () => {
  it('reports a FAILED query with its reason and execution id', async () => {
    const fake = scriptedAthena([{ State: 'RUNNING' }, { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: activity_v' }]);
    const time = fakeTime();
    const error = await new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db', ...time }).run('SELECT 1', []).catch((e: AthenaQueryError) => e);
    expect(error).toBeInstanceOf(AthenaQueryError);
    expect(error).toMatchObject({ code: 'failed', state: 'FAILED', queryExecutionId: 'q-1' });
    expect((error as Error).message).toContain('TABLE_NOT_FOUND: activity_v');
    expect((error as Error).message).toContain('q-1');
    expect(fake.names()).not.toContain('GetQueryResultsCommand');
  });

  it('reports a CANCELLED query', async () => {
    const fake = scriptedAthena([{ State: 'CANCELLED', StateChangeReason: 'cancelled by user' }]);
    const error = await new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db', ...fakeTime() }).run('SELECT 1', []).catch((e: AthenaQueryError) => e);
    expect(error).toMatchObject({ name: 'AthenaQueryError', code: 'cancelled', state: 'CANCELLED' });
    expect((error as Error).message).toContain('cancelled by user');
  });

  it('polls with exponential backoff, then times out and stops the query', async () => {
    const fake = scriptedAthena([{ State: 'QUEUED' }, { State: 'RUNNING' }]);
    const time = fakeTime();
    const queries = new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db', pollInitialMs: 100, pollMaxMs: 500, timeoutMs: 2_000, ...time });
    const error = await queries.run('SELECT 1', []).catch((e: AthenaQueryError) => e);
    expect(error).toMatchObject({ code: 'timeout', state: 'RUNNING', queryExecutionId: 'q-1' });
    expect(time.sleeps).toEqual([100, 200, 400, 500, 500]);
    expect(time.now()).toBeLessThanOrEqual(2_000);
    expect(fake.names().at(-1)).toBe('StopQueryExecutionCommand');
    expect(fake.sent.at(-1)?.input).toEqual({ QueryExecutionId: 'q-1' });
  });

  it('follows NextToken and drops only the header row of the first page', async () => {
    const row = (x?: string, y?: string) => ({ Data: [x === undefined ? {} : { VarCharValue: x }, y === undefined ? {} : { VarCharValue: y }] });
    const fake = scriptedAthena(
      [{ State: 'SUCCEEDED' }],
      [{ Rows: [row('x', 'y'), row('1', 'a')], NextToken: 't1' }, { Rows: [row('2'), row('3', 'c')], NextToken: 't2' }, { Rows: [row('x', 'y')] }],
    );
    const rows = await new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db', ...fakeTime() }).run('SELECT x, y FROM t', []);
    // A later page's row that happens to equal the header is data, not a header.
    expect(rows).toEqual([
      { x: '1', y: 'a' },
      { x: '2', y: null },
      { x: '3', y: 'c' },
      { x: 'x', y: 'y' },
    ]);
    const tokens = fake.sent.filter((s) => s.name === 'GetQueryResultsCommand').map((s) => s.input.NextToken);
    expect(tokens).toEqual([undefined, 't1', 't2']);
    expect(fake.sent[0]?.input).toMatchObject({
      WorkGroup: 'wg',
      QueryExecutionContext: { Database: 'db' },
      ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 } },
    });
    expect(fake.sent[0]?.input).not.toHaveProperty('ExecutionParameters');
  });

  it('refuses a parameter count that does not match the placeholders', async () => {
    const fake = scriptedAthena([{ State: 'SUCCEEDED' }]);
    await expect(new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db' }).run('SELECT ? , ?', ['a'])).rejects.toThrow('2 placeholders but 1 parameters');
    expect(fake.sent).toEqual([]);
  });

  it('validates options and inputs before any call', async () => {
    const fake = scriptedAthena([{ State: 'SUCCEEDED' }]);
    expect(() => new AthenaQueries(fake.client, { workgroup: 'wg; DROP', database: 'db' })).toThrow(ConfigError);
    expect(() => new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db', timeoutMs: 0 })).toThrow('timeoutMs');
    const queries = new AthenaQueries(fake.client, { workgroup: 'wg', database: 'db' });
    await expect(queries.findActivity("' OR 1=1 --")).rejects.toThrow(ActivityInputError);
    await expect(queries.activitiesToScore(new Date('2025-01-02'), new Date('2025-01-01'))).rejects.toThrow('must be before');
    await expect(queries.activitiesToScore(new Date('nope'), new Date('2025-01-01'))).rejects.toThrow('valid Date');
    expect(fake.sent).toEqual([]);
  });
});

describe('sqlString', () => {
  it('quotes a value as a string literal, doubling embedded quotes', () => {
    expect(sqlString('abc')).toBe("'abc'");
    expect(sqlString("O'Brien")).toBe("'O''Brien'");
    expect(sqlString("'); DROP TABLE x; --")).toBe("'''); DROP TABLE x; --'");
    expect(() => sqlString('a\u0000b')).toThrow('control characters');
  });
});

describe('athenaTimestampToIso', () => {
  it.each([
    ['2025-03-04 05:06:07.890', '2025-03-04T05:06:07.890Z'],
    ['2025-03-04 05:06:07', '2025-03-04T05:06:07.000Z'],
    ['2025-03-04 05:06:07.123456 UTC', '2025-03-04T05:06:07.123Z'],
    ['2025-03-04T05:06:07Z', '2025-03-04T05:06:07.000Z'],
    ['2025-03-04T07:06:07+02:00', '2025-03-04T05:06:07.000Z'],
  ])('%s → %s', (text, iso) => expect(athenaTimestampToIso(text)).toBe(iso));

  it.each(['yesterday', '2025-03-04', ''])('refuses %j', (text) => expect(athenaTimestampToIso(text)).toBeUndefined());
});

const suite = localAwsSuite();

suite.describe('AthenaQueries (moto)', () => {
  let athena: AthenaClient;
  let queries: AthenaQueries;
  const time = { sleep: async () => {} };

  beforeAll(() => {
    athena = new AthenaClient({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, credentials: LOCAL_CREDENTIALS });
    queries = new AthenaQueries(athena, { workgroup: 'primary', database: 'readscore', outputLocation: 's3://athena-results/readscore/', ...time });
  });

  /** The last query execution moto saw (the query under test). */
  async function lastExecution(sent: { QueryExecutionId?: string }[]) {
    const id = sent.at(-1)?.QueryExecutionId;
    return (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
  }

  function recordStarts(client: AthenaClient) {
    const started: { QueryExecutionId?: string }[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'StartQueryExecutionCommand') started.push(out.output as { QueryExecutionId?: string });
        return out;
      },
      { step: 'initialize', name: `recordStarts${Math.random()}` },
    );
    return started;
  }

  it('finds an activity, sending its id as a quoted execution parameter', async () => {
    const started = recordStarts(athena);
    await suite.aws.seedAthenaResults([
      { columns: ACTIVITY_COLUMNS, rows: [[A, 'story-7', 'stu-1', 'dist-9', 'letterNamingAndSounds', '2025-03-04 05:06:07.000', 'under_review']] },
    ]);
    expect(await queries.findActivity(A)).toEqual({
      activityId: A,
      storyId: 'story-7',
      studentId: 'stu-1',
      districtId: 'dist-9',
      type: 'letterNamingAndSounds',
      createdAt: '2025-03-04T05:06:07.000Z',
      status: 'under_review',
    });
    const execution = await lastExecution(started);
    expect(execution?.ExecutionParameters).toEqual([`'${A}'`]);
    expect(execution?.Query).toContain('WHERE activityid = ?');
    expect(execution?.Query).not.toContain(A);
    expect(execution?.QueryExecutionContext?.Database).toBe('readscore');
    expect(execution?.WorkGroup).toBe('primary');
  });

  it('reports an activity without a row as unknown-activity', async () => {
    await suite.aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [] }]);
    await expect(queries.findActivity(B)).rejects.toMatchObject({ name: 'ActivityInputError', code: 'unknown-activity', input: `athena:activity_v/${B}` });
  });

  it('refuses a row with a null story', async () => {
    await suite.aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [[A, null, 'stu-1', 'dist-9', 'letterNamingAndSounds', '2025-03-04 05:06:07.000', 'under_review']] }]);
    await expect(queries.findActivity(A)).rejects.toThrow(/invalid|storyid/);
  });

  it('lists the activities to score in a window, every bound a parameter', async () => {
    const started = recordStarts(athena);
    await suite.aws.seedAthenaResults([{ columns: ['activityid'], rows: [[A], ['not-an-id'], [B], [A]] }]);
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };
    const withLogger = new AthenaQueries(athena, { workgroup: 'primary', database: 'readscore', logger, ...time });
    const ids = await withLogger.activitiesToScore(new Date('2025-03-04T00:00:00Z'), new Date('2025-03-05T00:00:00Z'));
    expect(ids).toEqual([A, B]);
    expect(warnings).toHaveLength(1);
    const execution = await lastExecution(started);
    expect(execution?.ExecutionParameters).toEqual(["'letterNamingAndSounds'", "'under_review'", "'2025-03-04T00:00:00.000Z'", "'2025-03-05T00:00:00.000Z'"]);
    expect(execution?.Query).not.toMatch(/2025|under_review|letterNaming/);
  });

  it('maps a generic query to rows by column name, NULL as null', async () => {
    await suite.aws.seedAthenaResults([
      {
        columns: ['a', 'b'],
        rows: [
          ['1', null],
          ['2', 'x'],
        ],
      },
    ]);
    expect(await queries.run('SELECT a, b FROM t WHERE c = ?', ["it's"])).toEqual([
      { a: '1', b: null },
      { a: '2', b: 'x' },
    ]);
  });
});
