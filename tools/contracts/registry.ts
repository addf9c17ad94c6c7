/**
 * The contracts whose JSON Schemas are released under `contracts/<name>/v<major>.json`: each
 * names its current major version and builds its schema from the code that enforces it.
 */

import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import {
  ACTIVITY_RESULT_VERSION,
  activityResultSchema,
  appsyncVariablesSchema,
  fieldValuesSchema,
  RESULT_ROWS_VERSION,
  resultRowsJsonSchema,
  SCORE_REQUEST_VERSION,
  scoreRequestSchema,
  segmentMetadataSchema,
} from '../../core/contracts';
import type { JSONSchema } from './compat';

/** One released contract. */
export interface Contract {
  /** Kebab-case name, the folder under `contracts/`. */
  readonly name: string;
  /** The current major version. */
  readonly version: number;
  /** Where the version is set (named in the message asking for a bump). */
  readonly versionFrom: string;
  /** The current JSON Schema (draft-07). */
  schema(): JSONSchema;
}

/**
 * zod → JSON Schema, inlined (no $refs). `removeAdditionalStrategy: 'strict'` makes the schema say
 * what zod accepts: `.strict()` objects refuse unknown keys (additionalProperties: false), plain
 * objects strip them, i.e. accept them (additionalProperties: true).
 */
function fromZod(schema: ZodTypeAny, title: string, description: string): JSONSchema {
  const json = zodToJsonSchema(schema, { target: 'jsonSchema7', $refStrategy: 'none', removeAdditionalStrategy: 'strict' }) as JSONSchema;
  return { ...json, title, description };
}

/** AppSync variables, with `fieldValues` described as the AWSJSON text it is. */
function appsyncVariables(): JSONSchema {
  const schema = fromZod(appsyncVariablesSchema, 'AppSyncUpdateActivityFieldsVariables', 'Variables of the UpdateActivityFields mutation.');
  const properties = schema.properties as Record<string, JSONSchema>;
  properties.fieldValues = {
    ...properties.fieldValues,
    description: 'AWSJSON: the JSON text of an appsync-field-values v1 object (contracts/appsync-field-values/).',
  };
  return schema;
}

/** Every contract, in report order. */
export const CONTRACTS: readonly Contract[] = [
  {
    name: 'score-request',
    version: SCORE_REQUEST_VERSION,
    versionFrom: 'SCORE_REQUEST_VERSION in core/contracts/scoreRequest.ts',
    schema: () => fromZod(scoreRequestSchema, 'ScoreRequest', 'The body of a scoring-queue (SQS) message.'),
  },
  {
    name: 'activity-result',
    version: ACTIVITY_RESULT_VERSION,
    versionFrom: 'ACTIVITY_RESULT_VERSION in core/contracts/activityResult.ts',
    schema: () => fromZod(activityResultSchema, 'ActivityResult', 'The scoring result of one activity, as returned and stored as JSON.'),
  },
  {
    name: 'result-rows',
    version: RESULT_ROWS_VERSION,
    versionFrom: 'RESULT_ROWS_VERSION in core/contracts/resultsParquet.ts',
    schema: () => ({ ...resultRowsJsonSchema(), description: 'One row of the results Parquet table (one per expected item).' }),
  },
  {
    name: 'appsync-variables',
    version: 1,
    versionFrom: 'the appsync-variables entry of tools/contracts/registry.ts',
    schema: appsyncVariables,
  },
  {
    name: 'appsync-field-values',
    version: 1,
    versionFrom: 'the appsync-field-values entry of tools/contracts/registry.ts',
    schema: () => fromZod(fieldValuesSchema, 'AppSyncFieldValues', 'The decoded fieldValues (AWSJSON) of the UpdateActivityFields mutation.'),
  },
  {
    name: 'segment-metadata',
    version: 1,
    versionFrom: 'the segment-metadata entry of tools/contracts/registry.ts',
    schema: () => fromZod(segmentMetadataSchema, 'SegmentMetadata', 'S3 user metadata of one streamed audio segment (names lower-cased, values strings).'),
  },
];
