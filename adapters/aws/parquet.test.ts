// encodeResultRows: the file is read back by an independent Parquet reader (DuckDB), checking
// column types, required/optional flags, values, nulls and the row count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RESULT_COLUMNS, RESULT_ROWS_VERSION, type ResultRow } from '../../core/contracts/resultsParquet';
import { encodeResultRows, ResultEncodeError } from './parquet';

const SCORED_AT = Date.parse('2024-05-01T10:15:30.123Z');

function row(overrides: Partial<ResultRow> = {}): ResultRow {
  return {
    activityId: '0123456789ABCDEF0123456789ABCDEF',
    storyId: 'story-7',
    phraseIndex: 0,
    itemIndex: 0,
    item: 'b_sound',
    verdict: 'correct',
    heard: 'b',
    confidence: 0.875,
    startMs: 120.5,
    endMs: 480,
    unscoredReason: null,
    modelName: 'letters-ctc',
    modelVersion: '1.2.0',
    modelSha256: 'ab'.repeat(32),
    catalogVersion: 'letter-items@1.0.0',
    scoringPolicy: 'assessment',
    engine: 'cpu-onnx',
    scoredAt: SCORED_AT,
    correlationId: 'msg-1',
    schemaVersion: RESULT_ROWS_VERSION,
    ...overrides,
  };
}

const ROWS: ResultRow[] = [
  row(),
  row({ itemIndex: 1, item: 'm_name', verdict: 'omitted', heard: null, confidence: 0.6, startMs: null, endMs: null }),
  row({
    phraseIndex: 1,
    itemIndex: 0,
    item: 's_sound',
    verdict: 'unscored',
    heard: null,
    confidence: 0,
    startMs: null,
    endMs: null,
    unscoredReason: 'no-audio',
    storyId: null,
    scoringPolicy: null,
  }),
];

let dir: string;
let db: DuckDBInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'readscore-parquet-'));
  db = await DuckDBInstance.create(':memory:');
});
afterAll(() => {
  db.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return `'${path.replaceAll("'", "''")}'`;
}

describe('encodeResultRows', () => {
  it('writes every RESULT_COLUMNS column with its DuckDB type, in order', async () => {
    const file = writeTemp('types.parquet', encodeResultRows(ROWS));
    const described = await query(`describe select * from read_parquet(${file})`);
    const duckType = { string: 'VARCHAR', int32: 'INTEGER', float64: 'DOUBLE', 'timestamp-ms': 'TIMESTAMP WITH TIME ZONE' } as const;
    expect(described.map((d) => [d.column_name, d.column_type])).toEqual(RESULT_COLUMNS.map((c) => [c.name, duckType[c.type]]));
  });

  it('marks non-nullable columns REQUIRED and nullable ones OPTIONAL, Snappy-compressed', async () => {
    const file = writeTemp('schema.parquet', encodeResultRows(ROWS));
    const schema = await query(`select name, repetition_type, logical_type from parquet_schema(${file}) where name <> 'arrow_schema'`);
    expect(schema.map((s) => [s.name, s.repetition_type])).toEqual(RESULT_COLUMNS.map((c) => [c.name, c.nullable ? 'OPTIONAL' : 'REQUIRED']));
    expect(String(schema.find((s) => s.name === 'scoredAt')?.logical_type)).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
    const codecs = await query(`select distinct compression from parquet_metadata(${file})`);
    expect(codecs).toEqual([{ compression: 'SNAPPY' }]);
  });

  it('round-trips values and nulls, row for row', async () => {
    const file = writeTemp('values.parquet', encodeResultRows(ROWS));
    const read = await query(`select * exclude (scoredAt), epoch_ms(scoredAt) as scoredAt from read_parquet(${file})`);
    expect(read).toHaveLength(3);
    // DuckDB's JSON rendering gives epoch_ms as a string (BIGINT); everything else keeps its JS type.
    expect(read.map((r) => ({ ...r, scoredAt: Number(r.scoredAt) }))).toEqual(ROWS);
    expect(read[1]).toMatchObject({ heard: null, startMs: null, endMs: null, unscoredReason: null, storyId: 'story-7' });
    expect(read[2]).toMatchObject({ verdict: 'unscored', unscoredReason: 'no-audio', storyId: null });
  });

  it('writes a readable file with the full schema and no rows for an empty result', async () => {
    const file = writeTemp('empty.parquet', encodeResultRows([]));
    expect(await query(`select count(*)::int as n from read_parquet(${file})`)).toEqual([{ n: 0 }]);
    expect(await query(`describe select * from read_parquet(${file})`)).toHaveLength(RESULT_COLUMNS.length);
  });

  it('refuses null in a non-nullable column, naming the row and column', () => {
    const bad = [row(), { ...row(), item: null } as unknown as ResultRow];
    expect(() => encodeResultRows(bad)).toThrow(ResultEncodeError);
    expect(() => encodeResultRows(bad)).toThrow(expect.objectContaining({ code: 'null-value', input: 'rows[1].item' }));
  });

  it('refuses values that the column type would silently coerce', () => {
    expect(() => encodeResultRows([row({ phraseIndex: 1.5 })])).toThrow(expect.objectContaining({ code: 'bad-value', input: 'rows[0].phraseIndex' }));
    expect(() => encodeResultRows([row({ confidence: Number.NaN })])).toThrow(expect.objectContaining({ code: 'bad-value', input: 'rows[0].confidence' }));
    expect(() => encodeResultRows([row({ phraseIndex: 2 ** 31 })])).toThrow(expect.objectContaining({ code: 'bad-value' }));
    expect(() => encodeResultRows([{ ...row(), heard: 7 } as unknown as ResultRow])).toThrow(expect.objectContaining({ code: 'bad-value', input: 'rows[0].heard' }));
  });
});
