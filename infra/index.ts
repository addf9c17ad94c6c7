/**
 * The Pulumi program (`main` of Pulumi.yaml): reads the stack's `readscore:*` config, validates it
 * and declares the stack. `readscore:engine` (cpu | triton) selects the engine.
 */
import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig } from './config';
import { createStack } from './stack';

const raw = Object.fromEntries(
  Object.keys(pulumi.runtime.allConfig())
    .filter((key) => key.startsWith('readscore:'))
    .map((key) => [key, pulumi.runtime.allConfig()[key] as string]),
);
// Structured values (lists) arrive as JSON text.
const parsed = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, /^[[{]/.test(v) ? JSON.parse(v) : v]));
const outputs = createStack(parseStackConfig(pulumi.getStack(), parsed));

export const queueUrl = outputs.queueUrl;
export const deadLetterQueueUrl = outputs.deadLetterQueueUrl;
