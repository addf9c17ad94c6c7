/**
 * Encodes result rows as one Snappy-compressed Parquet file: Arrow types and nullability come from
 * RESULT_COLUMNS (core/contracts/resultsParquet.ts), parquet-wasm writes the file.
 */
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { type ColumnType, RESULT_COLUMNS, RESULT_ROWS_VERSION, type ResultRow } from '../../core/contracts/resultsParquet';
import { ReadScoreInputError } from '../../core/errors';

/** Reason codes of {@link ResultEncodeError}. */
export const ResultEncodeErrorCode = {
  /** A column declared non-nullable holds null or undefined. */
  NullValue: 'null-value',
  /** A value does not fit its column's type (a float in an int32 column, NaN, a number in a string column). */
  BadValue: 'bad-value',
} as const;
export type ResultEncodeErrorCode = (typeof ResultEncodeErrorCode)[keyof typeof ResultEncodeErrorCode];

/** A row that breaks the results contract; `input` names the row and column, e.g. `rows[3].phraseIndex`. */
export class ResultEncodeError extends ReadScoreInputError {
  declare readonly code: ResultEncodeErrorCode;
  // biome-ignore lint/complexity/noUselessConstructor: narrows the code type
  constructor(code: ResultEncodeErrorCode, input: string, message: string) {
    super(code, input, message);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function arrowType(type: ColumnType): arrow.DataType {
  switch (type) {
    case 'string':
      return new arrow.Utf8();
    case 'int32':
      return new arrow.Int32();
    case 'float64':
      return new arrow.Float64();
    case 'timestamp-ms':
      // An instant (isAdjustedToUTC in Parquet): scoredAt is milliseconds since the epoch, UTC.
      return new arrow.TimestampMillisecond('UTC');
  }
}

/** Why `value` does not fit `type`, or undefined when it does. vectorFromArray would coerce silently. */
function misfit(type: ColumnType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${typeof value}`;
    case 'int32':
      return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? undefined : `expected an int32, got ${String(value)}`;
    case 'float64':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `expected a finite number, got ${String(value)}`;
    case 'timestamp-ms':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : `expected integer epoch milliseconds, got ${String(value)}`;
  }
}

/** The Arrow schema of the results table (file order, types and nullability of RESULT_COLUMNS). */
export function resultArrowSchema(): arrow.Schema {
  const metadata = new Map([['readscore.resultRowsVersion', String(RESULT_ROWS_VERSION)]]);
  return new arrow.Schema(
    RESULT_COLUMNS.map((c) => new arrow.Field(c.name, arrowType(c.type), c.nullable)),
    metadata,
  );
}

/** The rows as an Arrow table of {@link resultArrowSchema}; throws {@link ResultEncodeError} on a value that breaks its column. */
export function resultRowsTable(rows: readonly ResultRow[]): arrow.Table {
  const schema = resultArrowSchema();
  const children = RESULT_COLUMNS.map((column, c) => {
    const values = rows.map((row, r) => {
      const value: unknown = row[column.name];
      if (value === null || value === undefined) {
        if (!column.nullable) throw new ResultEncodeError('null-value', `rows[${r}].${column.name}`, 'the column is not nullable');
        return null;
      }
      const why = misfit(column.type, value);
      if (why) throw new ResultEncodeError('bad-value', `rows[${r}].${column.name}`, `${why} (parquet ${column.type})`);
      return value;
    });
    const field = schema.fields[c];
    if (!field) throw new Error(`schema has no field ${c}`);
    return arrow.vectorFromArray(values, field.type).data[0] ?? arrow.makeData({ type: field.type, length: 0, nullCount: 0 });
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

/**
 * Encodes result rows as a Parquet file (Snappy, one row group) whose columns, types and
 * required/optional flags follow RESULT_COLUMNS.
 *
 * @example
 * const bytes = encodeResultRows(resultRows(result, meta));
 */
export function encodeResultRows(rows: readonly ResultRow[]): Uint8Array {
  const ipc = arrow.tableToIPC(resultRowsTable(rows), 'stream');
  const table = pw.Table.fromIPCStream(ipc);
  const properties = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy('readscore').build();
  // writeParquet takes ownership of (and frees) both wasm objects.
  return pw.writeParquet(table, properties);
}
