/**
 * Validation of cost tables and alignment inputs. Both backends call these before any work, so a
 * bad value becomes an AlignerInputError naming the problem instead of a wrong path or a crash.
 */
import { AlignerErrorCode, AlignerInputError } from './errors';
import { MAX_COST, MAX_SEQUENCE_LENGTH } from './limits';
import type { AlignInput, CostTable } from './types';

/** A validated, private copy of a cost table (callers may mutate theirs afterwards). */
export interface ValidTable {
  readonly items: number;
  readonly elements: number;
  readonly sub: Float64Array;
  readonly kind: Uint8Array;
  readonly insert: number;
  readonly delete: number;
}

/** A validated alignment request with the padding defaults filled in. */
export interface ValidInput {
  readonly ref: Uint32Array;
  readonly hyp: Uint32Array;
  readonly freeLead: number;
  readonly freeTrail: number;
  /** Per hyp symbol insertion costs (checked: hyp.length finite costs >= 0), or undefined for table.insert. */
  readonly insertCost: Float64Array | undefined;
}

function checkCost(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new AlignerInputError(AlignerErrorCode.InvalidCost, `${name} is ${String(value)}; costs must be finite numbers >= 0`);
  }
  if (!Number.isFinite(value) || value < 0 || value > MAX_COST) {
    throw new AlignerInputError(AlignerErrorCode.InvalidCost, `${name} is ${value}; costs must be finite, >= 0 and <= ${MAX_COST}`);
  }
  return value + 0; // -0 -> +0
}

function checkCount(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new AlignerInputError(AlignerErrorCode.InvalidTableSize, `table.${name} is ${String(value)}; expected an integer >= 0`);
  }
  return value;
}

/** Checks sizes, costs and kinds of a table and returns a private copy (-0 costs normalised to 0). */
export function validateTable(table: CostTable): ValidTable {
  if (table === null || typeof table !== 'object') {
    throw new AlignerInputError(AlignerErrorCode.InvalidTableSize, 'table must be an object');
  }
  const items = checkCount('items', table.items);
  const elements = checkCount('elements', table.elements);
  const cells = items * elements;
  if (!(table.sub instanceof Float64Array)) {
    throw new AlignerInputError(AlignerErrorCode.InvalidTableSize, 'table.sub must be a Float64Array');
  }
  if (!(table.kind instanceof Uint8Array)) {
    throw new AlignerInputError(AlignerErrorCode.InvalidTableSize, 'table.kind must be a Uint8Array');
  }
  if (table.sub.length !== cells) {
    throw new AlignerInputError(AlignerErrorCode.InvalidTableSize, `table.sub has ${table.sub.length} costs; expected items*elements = ${items}*${elements} = ${cells}`);
  }
  if (table.kind.length !== cells) {
    throw new AlignerInputError(AlignerErrorCode.InvalidTableSize, `table.kind has ${table.kind.length} entries; expected items*elements = ${items}*${elements} = ${cells}`);
  }
  const sub = new Float64Array(cells);
  const kind = new Uint8Array(cells);
  for (let k = 0; k < cells; k++) {
    const cost = table.sub[k] as number;
    if (!(cost >= 0 && cost <= MAX_COST)) {
      const item = Math.floor(k / elements);
      checkCost(`table.sub[${k}] (item ${item}, element ${k - item * elements})`, cost);
    }
    sub[k] = cost + 0;
    const pairKind = table.kind[k] as number;
    if (pairKind > 2) {
      const item = Math.floor(k / elements);
      throw new AlignerInputError(
        AlignerErrorCode.InvalidKind,
        `table.kind[${k}] (item ${item}, element ${k - item * elements}) is ${pairKind}; expected 0 (Canonical), 1 (Accepted) or 2 (Other)`,
      );
    }
    kind[k] = pairKind;
  }
  return {
    items,
    elements,
    sub,
    kind,
    insert: checkCost('table.insert', table.insert),
    delete: checkCost('table.delete', table.delete),
  };
}

function checkSequence(name: string, seq: unknown, limit: number, what: string): Uint32Array {
  if (!(seq instanceof Uint32Array)) {
    throw new AlignerInputError(AlignerErrorCode.InvalidSequence, `input.${name} must be a Uint32Array of ${what} ids`);
  }
  if (seq.length > MAX_SEQUENCE_LENGTH) {
    throw new AlignerInputError(AlignerErrorCode.TooLarge, `input.${name} has ${seq.length} symbols; at most ${MAX_SEQUENCE_LENGTH} are accepted`);
  }
  for (let k = 0; k < seq.length; k++) {
    const id = seq[k] as number;
    if (id >= limit) {
      throw new AlignerInputError(AlignerErrorCode.IdOutOfRange, `input.${name}[${k}] is ${what} id ${id}; the table has ${limit} ${what}s (ids 0..${limit - 1})`);
    }
  }
  return seq;
}

/** Checks freeLead/freeTrail: undefined means 0; otherwise an integer >= 0. */
export function checkPadding(name: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new AlignerInputError(AlignerErrorCode.InvalidPadding, `${name.startsWith('inputs[') ? '' : 'input.'}${name} is ${String(value)}; expected an integer >= 0`);
  }
  return value;
}

/** Checks one request against a validated table. */
export function validateInput(input: AlignInput, table: ValidTable): ValidInput {
  if (input === null || typeof input !== 'object') {
    throw new AlignerInputError(AlignerErrorCode.InvalidSequence, 'input must be an object { ref, hyp }');
  }
  const ref = checkSequence('ref', input.ref, table.items, 'item');
  const hyp = checkSequence('hyp', input.hyp, table.elements, 'element');
  const freeLead = checkPadding('freeLead', input.freeLead);
  const freeTrail = checkPadding('freeTrail', input.freeTrail);
  if (freeLead + freeTrail > hyp.length) {
    throw new AlignerInputError(AlignerErrorCode.InvalidPadding, `input.freeLead + input.freeTrail = ${freeLead} + ${freeTrail} exceeds hyp.length ${hyp.length}`);
  }
  const insertCost = checkInsertCost('insertCost', input.insertCost, hyp.length);
  return { ref, hyp, freeLead, freeTrail, insertCost };
}

/**
 * Checks input.insertCost: undefined, or a Float64Array of `hypLength` costs, each finite, >= 0
 * and <= MAX_COST. (Padding symbols are free whatever their entry says, but it must still be valid.)
 */
export function checkInsertCost(name: string, value: unknown, hypLength: number): Float64Array | undefined {
  if (value === undefined) return undefined;
  const prefix = name.startsWith('inputs[') ? '' : 'input.';
  if (!(value instanceof Float64Array)) {
    throw new AlignerInputError(AlignerErrorCode.InvalidSequence, `${prefix}${name} must be a Float64Array of per-element insertion costs`);
  }
  if (value.length !== hypLength) {
    throw new AlignerInputError(AlignerErrorCode.InvalidSequence, `${prefix}${name} has ${value.length} costs; expected hyp.length = ${hypLength}`);
  }
  for (let k = 0; k < value.length; k++) {
    const cost = value[k] as number;
    if (!(cost >= 0 && cost <= MAX_COST)) checkCost(`${prefix}${name}[${k}]`, cost);
  }
  return value;
}
