/**
 * The Pulumi program (`main` of Pulumi.yaml): reads the stack's `readscore:*` config, validates it
 * and declares the stack. `readscore:engine` (cpu | triton) selects the engine.
 */
import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig } from './config';
import { createStack } from './stack';

const all = pulumi.runtime.allConfig();
// Structured values (lists) arrive as JSON text.
const raw = Object.fromEntries(
  Object.entries(all)
    .filter(([key]) => key.startsWith('readscore:'))
    .map(([key, value]) => [key, /^[[{]/.test(value) ? JSON.parse(value) : value]),
);
const outputs = createStack(parseStackConfig(pulumi.getStack(), raw));

export const queueUrl = outputs.queueUrl;
export const deadLetterQueueUrl = outputs.deadLetterQueueUrl;
export const scoringFunctionName = outputs.scoringFunctionName;
export const enqueuerFunctionName = outputs.enqueuerFunctionName;
export const resultsBucket = outputs.resultsBucket;
export const dashboardUrl = outputs.dashboardUrl;
export const alertTopicArn = outputs.alertTopicArn;
export const tritonUrl = outputs.tritonUrl;
export const imageRepositoryUrl = outputs.imageRepositoryUrl;
export const deployRoleArn = outputs.deployRoleArn;
