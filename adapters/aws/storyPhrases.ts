/**
 * The story-phrase table (storyId, phraseIndex, expected items) of every story, one S3 object in
 * JSON or CSV, validated once and cached per container for a TTL.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ContractError } from '../../core/contracts/errors';
import { ActivityInputError, ConfigError } from '../../core/errors';

/** Options of {@link S3StoryPhrases}. */
export interface S3StoryPhrasesOptions {
  readonly bucket: string;
  /** The table object: `*.json` (`[{storyId, phraseIndex, items}]`) or `*.csv` (`storyId,phraseIndex,items`, items `a_letter|b_sound`). */
  readonly key: string;
  /** How long a loaded table is reused, ms (default 5 min). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** One phrase of a story: its index and expected item names in reading order. */
export interface StoryPhrase {
  readonly phraseIndex: number;
  readonly items: readonly string[];
}

const CONTRACT = 'story phrases v1';

const rowSchema = z
  .object({
    storyId: z.string().min(1, 'must not be empty'),
    phraseIndex: z.number().int().nonnegative(),
    items: z.array(z.string().min(1, 'must not be empty')).min(1, 'a phrase needs at least one item'),
  })
  .strict();

type Row = z.infer<typeof rowSchema>;

/** Reads the story-phrase table from S3; concurrent callers within one TTL window share one GET. */
export class S3StoryPhrases {
  private cached: { at: number; table: Promise<ReadonlyMap<string, readonly StoryPhrase[]>> } | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly name: string;

  constructor(
    private readonly s3: S3Client,
    private readonly options: S3StoryPhrasesOptions,
  ) {
    if (!options.bucket) throw new ConfigError('invalid-option', 'S3StoryPhrases.bucket', 'must be a bucket name');
    if (!options.key) throw new ConfigError('invalid-option', 'S3StoryPhrases.key', 'must be an object key');
    this.ttlMs = options.ttlMs ?? 300_000;
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs < 0) throw new ConfigError('invalid-option', 'S3StoryPhrases.ttlMs', 'must be a non-negative integer');
    this.now = options.now ?? Date.now;
    this.name = `s3://${options.bucket}/${options.key}`;
  }

  /** The story's phrases sorted by phraseIndex; ActivityInputError `unknown-story` when the table lacks it. */
  async phrases(storyId: string): Promise<StoryPhrase[]> {
    const table = await this.table();
    const phrases = table.get(storyId);
    if (!phrases) throw new ActivityInputError('unknown-story', `story ${JSON.stringify(String(storyId).slice(0, 128))}`, `not in the story-phrase table ${this.name}`);
    return phrases.map((p) => ({ phraseIndex: p.phraseIndex, items: [...p.items] }));
  }

  /** Forgets the cached table (the next call reads it again). */
  clear(): void {
    this.cached = undefined;
  }

  private table(): Promise<ReadonlyMap<string, readonly StoryPhrase[]>> {
    const at = this.now();
    if (this.cached && at - this.cached.at < this.ttlMs) return this.cached.table;
    const entry = { at, table: this.load() };
    this.cached = entry;
    // A failed read is not cached: the next call tries again.
    entry.table.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return entry.table;
  }

  private async load(): Promise<ReadonlyMap<string, readonly StoryPhrase[]>> {
    let text: string;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.options.key }));
      text = (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404) throw new ConfigError('missing-story-table', this.name, 'no such object');
      throw error;
    }
    return indexRows(parseStoryTable(text, this.options.key, this.name), this.name);
  }
}

/**
 * Parses a story-phrase table. The format follows the key's extension (`.json`, `.csv`), else the
 * content (JSON starts with `[`). Throws ContractError naming `source` and the failing row and field.
 */
export function parseStoryTable(text: string, key: string, source: string): Row[] {
  const body = text.replace(/^\uFEFF/, '');
  const lower = key.toLowerCase();
  const json = lower.endsWith('.json') ? true : lower.endsWith('.csv') ? false : body.trimStart().startsWith('[');
  return json ? parseJsonTable(body, source) : parseCsvTable(body, source);
}

function parseJsonTable(text: string, source: string): Row[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ContractError(CONTRACT, source, `malformed JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value)) throw new ContractError(CONTRACT, source, 'the JSON table must be an array of rows');
  return value.map((row, i) => validateRow(row, source, `row ${i}`));
}

function parseCsvTable(text: string, source: string): Row[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '', source, 1).map((h) => h.trim());
  if (header.join(',') !== 'storyId,phraseIndex,items')
    throw new ContractError(CONTRACT, source, `line 1: the header must be "storyId,phraseIndex,items", not "${header.join(',').slice(0, 80)}"`);
  const rows: Row[] = [];
  lines.slice(1).forEach((line, i) => {
    const lineNo = i + 2;
    if (line.trim() === '') return;
    const fields = splitCsvLine(line, source, lineNo);
    if (fields.length !== 3) throw new ContractError(CONTRACT, source, `line ${lineNo}: expected 3 fields, found ${fields.length}`);
    const [storyId = '', phraseIndex = '', items = ''] = fields.map((f) => f.trim());
    if (!/^[0-9]{1,9}$/.test(phraseIndex)) throw new ContractError(CONTRACT, source, `line ${lineNo}: phraseIndex: must be a non-negative integer written in digits`);
    rows.push(validateRow({ storyId, phraseIndex: Number.parseInt(phraseIndex, 10), items: items === '' ? [] : items.split('|').map((s) => s.trim()) }, source, `line ${lineNo}`));
  });
  return rows;
}

/** Splits one CSV line; fields may be double-quoted with `""` for a quote. */
function splitCsvLine(line: string, source: string, lineNo: number): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new ContractError(CONTRACT, source, `line ${lineNo}: unterminated quoted field`);
  fields.push(field);
  return fields;
}

function validateRow(value: unknown, source: string, where: string): Row {
  const parsed = rowSchema.safeParse(value);
  if (!parsed.success) {
    throw new ContractError(CONTRACT, source, `${where}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

function indexRows(rows: readonly Row[], source: string): ReadonlyMap<string, readonly StoryPhrase[]> {
  const byStory = new Map<string, StoryPhrase[]>();
  for (const row of rows) {
    const phrases = byStory.get(row.storyId) ?? [];
    if (phrases.some((p) => p.phraseIndex === row.phraseIndex)) {
      throw new ContractError(CONTRACT, source, `story ${row.storyId} phrase ${row.phraseIndex} appears twice`);
    }
    phrases.push({ phraseIndex: row.phraseIndex, items: row.items });
    byStory.set(row.storyId, phrases);
  }
  for (const phrases of byStory.values()) phrases.sort((a, b) => a.phraseIndex - b.phraseIndex);
  return byStory;
}
