/**
 * Athena queries of the production path: a generic parameterised `run` (values travel as
 * ExecutionParameters, never in the SQL text — domain.md §6.9) and the two queries over `activity_v`.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { z } from 'zod';
import { ActivityInputError, ConfigError, ReadScoreFault } from '../../core/errors';
import type { Logger } from '../../core/ports/logger';
import { assertActivityId, hasControlCharacters } from './s3Audio';

/** Reason codes of {@link AthenaQueryError}. */
export const AthenaErrorCode = {
  Failed: 'failed',
  Cancelled: 'cancelled',
  Timeout: 'timeout',
  BadResult: 'bad-result',
} as const;
export type AthenaErrorCode = (typeof AthenaErrorCode)[keyof typeof AthenaErrorCode];

/** A query that did not succeed. Not an input error: the caller may retry later. */
export class AthenaQueryError extends ReadScoreFault {
  declare readonly code: AthenaErrorCode;
  /** The last state Athena reported (FAILED, CANCELLED, RUNNING, ...). */
  readonly state: string;
  readonly queryExecutionId: string;
  constructor(code: AthenaErrorCode, state: string, queryExecutionId: string, message: string) {
    super(code, `athena query ${queryExecutionId}: ${message}`);
    this.state = state;
    this.queryExecutionId = queryExecutionId;
  }
}

/** Options of {@link AthenaQueries}. */
export interface AthenaQueriesOptions {
  readonly workgroup: string;
  readonly database: string;
  /** `s3://...` for results; omit when the workgroup sets one. */
  readonly outputLocation?: string;
  /** First poll delay, ms (default 200); doubles up to `pollMaxMs` (default 2000). */
  readonly pollInitialMs?: number;
  readonly pollMaxMs?: number;
  /** Overall limit of one query, ms (default 60 000); the query is then stopped. */
  readonly timeoutMs?: number;
  /** Reuse a result of the same query and parameters up to this age, minutes (default 60; 0 = never). */
  readonly resultReuseMinutes?: number;
  /** Warnings about rows that are skipped. */
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A row of `activity_v` as the scorer uses it. */
export interface ActivityRecord {
  readonly activityId: string;
  readonly storyId: string;
  readonly studentId: string;
  readonly districtId: string;
  readonly type: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  readonly status: string;
}

/** The view and the values the scorer selects on (domain.md §4.1). */
export const ACTIVITY_VIEW = {
  name: 'activity_v',
  type: 'letterNamingAndSounds',
  status: 'under_review',
} as const;

/**
 * Quotes a value as an Athena (Trino) string literal, the form ExecutionParameters take:
 * `O'Brien` → `'O''Brien'`.
 */
export function sqlString(value: string): string {
  if (typeof value !== 'string') throw new TypeError('an Athena parameter must be a string');
  if (hasControlCharacters(value.replace(/[\t\n\r]/g, ''))) throw new RangeError('an Athena parameter must not contain control characters');
  return `'${value.replace(/'/g, "''")}'`;
}

const MAX_RESULT_PAGES = 1_000;
const NAME = /^[A-Za-z0-9_-]{1,128}$/;

const activityRowSchema = z.object({
  activityid: z.string().regex(/^[0-9A-F]{32}$/, 'must be 32 upper-case hex characters'),
  storyid: z.string({ invalid_type_error: 'is null' }).min(1),
  studentid: z.string({ invalid_type_error: 'is null' }).min(1),
  districtid: z.string({ invalid_type_error: 'is null' }).min(1),
  type: z.string({ invalid_type_error: 'is null' }).min(1),
  createdat: z.string({ invalid_type_error: 'is null' }).min(1),
  status: z.string({ invalid_type_error: 'is null' }).min(1),
});

/** Runs parameterised Athena queries and polls them to completion. */
export class AthenaQueries {
  private readonly o: Required<Omit<AthenaQueriesOptions, 'outputLocation' | 'logger'>> & Pick<AthenaQueriesOptions, 'outputLocation' | 'logger'>;

  constructor(
    private readonly athena: AthenaClient,
    options: AthenaQueriesOptions,
  ) {
    if (!NAME.test(options.workgroup ?? '')) throw new ConfigError('invalid-option', 'AthenaQueries.workgroup', 'must be a workgroup name');
    if (!NAME.test(options.database ?? '')) throw new ConfigError('invalid-option', 'AthenaQueries.database', 'must be a database name');
    if (options.outputLocation !== undefined && !/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/.test(options.outputLocation)) {
      throw new ConfigError('invalid-option', 'AthenaQueries.outputLocation', 'must be an s3:// location');
    }
    const positive = (name: string, value: number | undefined, fallback: number, min = 1): number => {
      const v = value ?? fallback;
      if (!Number.isSafeInteger(v) || v < min) throw new ConfigError('invalid-option', `AthenaQueries.${name}`, `must be an integer ≥ ${min}`);
      return v;
    };
    this.o = {
      workgroup: options.workgroup,
      database: options.database,
      outputLocation: options.outputLocation,
      logger: options.logger,
      pollInitialMs: positive('pollInitialMs', options.pollInitialMs, 200),
      pollMaxMs: positive('pollMaxMs', options.pollMaxMs, 2_000),
      timeoutMs: positive('timeoutMs', options.timeoutMs, 60_000),
      resultReuseMinutes: positive('resultReuseMinutes', options.resultReuseMinutes, 60, 0),
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: options.now ?? Date.now,
    };
  }

  /**
   * Runs `sql` with positional `?` parameters (each value quoted as a string literal and sent as an
   * ExecutionParameter) and returns the rows as objects keyed by column name; SQL NULL is `null`.
   *
   * @example
   * await athena.run('SELECT activityid FROM activity_v WHERE storyid = ?', ['S1']);
   */
  async run(sql: string, params: readonly string[]): Promise<Record<string, string | null>[]> {
    const placeholders = (sql.match(/\?/g) ?? []).length;
    if (placeholders !== params.length) throw new RangeError(`the query has ${placeholders} placeholders but ${params.length} parameters were given`);
    const reuse = this.o.resultReuseMinutes;
    const started = await this.athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        ...(params.length ? { ExecutionParameters: params.map(sqlString) } : {}),
        QueryExecutionContext: { Database: this.o.database },
        WorkGroup: this.o.workgroup,
        ...(this.o.outputLocation ? { ResultConfiguration: { OutputLocation: this.o.outputLocation } } : {}),
        ResultReuseConfiguration: { ResultReuseByAgeConfiguration: reuse > 0 ? { Enabled: true, MaxAgeInMinutes: reuse } : { Enabled: false } },
      }),
    );
    const id = started.QueryExecutionId;
    if (!id) throw new AthenaQueryError('bad-result', 'UNKNOWN', '(none)', 'StartQueryExecution returned no QueryExecutionId');
    await this.waitFor(id);
    return this.results(id);
  }

  /** The activity's row in `activity_v`; ActivityInputError `unknown-activity` when there is none. */
  async findActivity(activityId: string): Promise<ActivityRecord> {
    assertActivityId(activityId);
    const input = `athena:${ACTIVITY_VIEW.name}/${activityId}`;
    const rows = await this.run(`SELECT activityid, storyid, studentid, districtid, type, createdat, status FROM ${ACTIVITY_VIEW.name} WHERE activityid = ? LIMIT 2`, [activityId]);
    const [row, extra] = rows;
    if (!row) throw new ActivityInputError('unknown-activity', input, `no row in ${this.o.database}.${ACTIVITY_VIEW.name}`);
    if (extra) throw new ActivityInputError('ambiguous-activity', input, `more than one row in ${this.o.database}.${ACTIVITY_VIEW.name}`);
    const parsed = activityRowSchema.safeParse(row);
    if (!parsed.success) {
      throw new ActivityInputError('invalid-activity', input, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const r = parsed.data;
    if (r.activityid !== activityId) throw new ActivityInputError('invalid-activity', input, `the view answered activity ${r.activityid}`);
    const createdAt = athenaTimestampToIso(r.createdat);
    if (!createdAt) throw new ActivityInputError('invalid-activity', input, `createdat "${r.createdat}" is not a timestamp`);
    return { activityId, storyId: r.storyid, studentId: r.studentid, districtId: r.districtid, type: r.type, createdAt, status: r.status };
  }

  /**
   * Ids of the letter-naming activities under review created in [from, to), oldest first. Rows with
   * a malformed id are skipped with a warning, so one bad row does not hold back the rest.
   */
  async activitiesToScore(from: Date, to: Date): Promise<string[]> {
    for (const [name, d] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new ActivityInputError('invalid-window', `activitiesToScore(${name})`, 'must be a valid Date');
    }
    if (from.getTime() >= to.getTime())
      throw new ActivityInputError('invalid-window', 'activitiesToScore(from, to)', `from ${from.toISOString()} must be before to ${to.toISOString()}`);
    // createdat is a timestamp column; the bounds travel as ISO strings and are converted in SQL.
    const rows = await this.run(
      `SELECT activityid FROM ${ACTIVITY_VIEW.name} WHERE type = ? AND status = ? AND createdat >= from_iso8601_timestamp(?) AND createdat < from_iso8601_timestamp(?) ORDER BY createdat, activityid`,
      [ACTIVITY_VIEW.type, ACTIVITY_VIEW.status, from.toISOString(), to.toISOString()],
    );
    const ids: string[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      const id = row.activityid;
      if (typeof id !== 'string' || !/^[0-9A-F]{32}$/.test(id)) {
        this.o.logger?.warn('skipping an activity_v row with a malformed activityid', { activityid: typeof id === 'string' ? id.slice(0, 64) : id });
        continue;
      }
      if (seen.has(id)) continue;
      seen.add(id);
      ids.push(id);
    }
    return ids;
  }

  private async waitFor(id: string): Promise<void> {
    const start = this.o.now();
    let delay = this.o.pollInitialMs;
    let state = 'QUEUED';
    for (;;) {
      const out = await this.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const status = out.QueryExecution?.Status;
      state = status?.State ?? 'UNKNOWN';
      if (state === 'SUCCEEDED') return;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
        throw new AthenaQueryError(state === 'FAILED' ? 'failed' : 'cancelled', state, id, `${state}: ${reason}`);
      }
      const elapsed = this.o.now() - start;
      if (elapsed + delay > this.o.timeoutMs) {
        // Best effort: a query left running keeps scanning (and billing) after we give up.
        try {
          await this.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        } catch {
          // the timeout is the error worth reporting
        }
        throw new AthenaQueryError('timeout', state, id, `still ${state} after ${elapsed} ms (limit ${this.o.timeoutMs} ms); stop requested`);
      }
      await this.o.sleep(delay);
      delay = Math.min(delay * 2, this.o.pollMaxMs);
    }
  }

  private async results(id: string): Promise<Record<string, string | null>[]> {
    const rows: Record<string, string | null>[] = [];
    let columns: string[] | undefined;
    let token: string | undefined;
    for (let page = 0; ; page += 1) {
      if (page >= MAX_RESULT_PAGES) throw new AthenaQueryError('bad-result', 'SUCCEEDED', id, `more than ${MAX_RESULT_PAGES} result pages`);
      const out: GetQueryResultsCommandOutput = await this.athena.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
      );
      const pageRows = out.ResultSet?.Rows ?? [];
      let first = 0;
      if (!columns) {
        columns = (out.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c, i) => c.Name ?? `_col${i}`);
        // The first row of the first page repeats the column names.
        first = 1;
      }
      for (const row of pageRows.slice(first)) {
        const data = row.Data ?? [];
        const record: Record<string, string | null> = {};
        columns.forEach((name, i) => {
          record[name] = data[i]?.VarCharValue ?? null;
        });
        rows.push(record);
      }
      token = out.NextToken;
      if (!token) return rows;
    }
  }
}

/**
 * Athena prints timestamps as `2024-05-01 10:00:00.000` (UTC); views built on strings may hold
 * ISO-8601. Returns ISO-8601 UTC, or undefined when the text is neither.
 */
export function athenaTimestampToIso(text: string): string | undefined {
  const athena = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?( UTC|Z)?$/.exec(text.trim());
  let ms: number;
  if (athena) {
    const fraction = (athena[3] ?? '.0').slice(0, 4).padEnd(4, '0');
    ms = Date.parse(`${athena[1]}T${athena[2]}${fraction}Z`);
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})$/.test(text.trim())) {
    ms = Date.parse(text.trim());
  } else {
    return undefined;
  }
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
