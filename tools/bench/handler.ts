/**
 * `npm run bench:handler`: throughput of the scoring Lambda handler on the CPU engine against local
 * AWS (moto_server S3 / Athena / Secrets Manager, an HTTPS AppSync stand-in), one SQS record per
 * invocation as in production. Baseline in the same run: the CLI's scorer on the same activities
 * from local files, so the ratio is what the production path (S3 reads, Athena, Parquet + JSON +
 * marker writes, AppSync) adds. Prints a table and writes bench-results/handler.json.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../../adapters/aws/clients';
import { readScoreConfig } from '../../core/config';
import { silentLogger } from '../../core/ports';
import { projectRoot } from '../../engines/factory';
import { localScorer } from '../../handlers/cli/run';
import { buildScoringContainer } from '../../handlers/lambda/container';
import { LambdaLogger, LambdaMetrics } from '../../handlers/lambda/powertools';
import { createScoreHandler } from '../../handlers/lambda/score';
import { startAppSyncStandIn } from '../aws/appsyncStandIn';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws } from '../aws/localAws';
import { ACTIVITY_COLUMNS, activityRow, readExampleManifest, type StoryRow, uploadActivity } from '../aws/seedActivities';
import { lambdaCostPer1000, median, percentile, printTable, runBenchmark, writeJson } from './report';

const hexId = (n: number) => n.toString(16).toUpperCase().padStart(32, 'B');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { copies: { type: 'string', default: '3' } } });
  const copies = Number(values.copies);
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`--copies: expected an integer ≥ 1, got "${values.copies}"`);
  const root = projectRoot();
  const examples = join(root, 'examples');
  const manifests = readdirSync(examples, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(examples, d.name, 'activity.json'))
    .sort();
  // Production logs and EMF metrics would drown the table: silenced for the run.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;

  const aws = await startLocalAws();
  const standIn = await startAppSyncStandIn({ apiKey: 'bench-key' });
  try {
    const clients = createAwsClients({ region: LOCAL_REGION, endpoint: aws.endpoint });
    for (const bucket of ['speech', 'stories', 'results']) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.secrets.send(new CreateSecretCommand({ Name: 'appsync', SecretString: JSON.stringify({ url: standIn.url, api_key: 'bench-key' }) }));
    const jobs: { activityId: string; storyId: string; manifest: string }[] = [];
    const stories: StoryRow[] = [];
    process.stderr.write(`bench:handler: uploading ${manifests.length} examples × ${copies} copies to moto_server ...\n`);
    for (const [i, manifest] of manifests.entries()) {
      const { storyId } = readExampleManifest(manifest);
      for (let c = 0; c < copies; c++) {
        const activityId = hexId(i * 1000 + c);
        const rows = await uploadActivity(clients.s3, 'speech', manifest, { activityId });
        if (c === 0) stories.push(...rows);
        jobs.push({ activityId, storyId, manifest });
      }
    }
    await clients.s3.send(new PutObjectCommand({ Bucket: 'stories', Key: 'stories.json', Body: JSON.stringify(stories) }));
    const env = {
      AWS_REGION: LOCAL_REGION,
      READSCORE_AWS_ENDPOINT: aws.endpoint,
      READSCORE_AUDIO_BUCKET: 'speech',
      READSCORE_STORY_BUCKET: 'stories',
      READSCORE_STORY_KEY: 'stories.json',
      READSCORE_RESULTS_BUCKET: 'results',
      READSCORE_ATHENA_WORKGROUP: 'primary',
      READSCORE_ATHENA_DATABASE: 'readscore',
      READSCORE_APPSYNC_SECRET: 'appsync',
    };
    const started = performance.now();
    const container = await buildScoringContainer(env, {
      appsyncCa: standIn.caPem,
      logger: new LambdaLogger(new PowertoolsLogger({ serviceName: 'readscore', logLevel: 'SILENT' })),
      metrics: new LambdaMetrics(),
    });
    const coldMs = performance.now() - started;
    const handler = createScoreHandler(async () => container);
    const context = { functionName: 'bench', awsRequestId: 'bench' } as unknown as Context;
    const invoke = async (job: (typeof jobs)[number], n: number) => {
      await aws.seedAthenaResults([{ columns: ACTIVITY_COLUMNS, rows: [activityRow(job.activityId, job.storyId)] }]);
      const body = JSON.stringify({ schemaVersion: 1, activityId: job.activityId, requestedAt: new Date().toISOString(), source: 'manual' });
      const sqsEvent = { Records: [{ messageId: `m-${n}`, receiptHandle: 'r', body, attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {} }] } as unknown as SQSEvent;
      const t = performance.now();
      const response = await handler(sqsEvent, context);
      if (response.batchItemFailures.length) throw new Error(`activity ${job.activityId} failed in the handler`);
      return performance.now() - t;
    };
    // Warm-up: first S3/Athena connections, the story table, the secret, ORT's first runs.
    for (const job of jobs.slice(0, 2)) await invoke(job, -1);
    process.stderr.write(`bench:handler: ${jobs.length} invocations ...\n`);
    const handlerMs: number[] = [];
    const wallStart = performance.now();
    for (const [n, job] of jobs.entries()) handlerMs.push(await invoke(job, n));
    const handlerWall = performance.now() - wallStart;

    // Baseline: the CLI's scorer, same engine, same activities, local files, no writes.
    const cli = await localScorer(readScoreConfig({ from: 'flags', flags: {} }), { engine: container.scorer.engine, logger: silentLogger });
    for (const job of jobs.slice(0, 2)) await cli.score({ manifest: job.manifest });
    const localMs: number[] = [];
    const localStart = performance.now();
    for (const job of jobs) {
      const t = performance.now();
      await cli.score({ manifest: job.manifest });
      localMs.push(performance.now() - t);
    }
    const localWall = performance.now() - localStart;
    await container.scorer.close();

    const row = (name: string, ms: number[], wall: number) => ({
      name,
      activities: ms.length,
      perMinute: (ms.length / wall) * 60_000,
      p50: median(ms),
      p95: percentile(ms, 95),
    });
    const figures = {
      handler: row('scoring handler (moto S3/Athena, AppSync stand-in)', handlerMs, handlerWall),
      local: row('baseline: CLI scorer, local files', localMs, localWall),
    };
    const ratio = figures.handler.p50 / figures.local.p50;
    printTable(
      `bench:handler — ${jobs.length} activities (${manifests.length} examples × ${copies}), CPU engine, 1 thread, 1 record per invocation`,
      ['path', 'activities', 'per min', 'p50 ms', 'p95 ms'],
      [figures.handler, figures.local].map((f) => [f.name, f.activities, f.perMinute.toFixed(1), f.p50.toFixed(0), f.p95.toFixed(0)]),
    );
    process.stdout.write(`\nhandler p50 / baseline p50: ${ratio.toFixed(2)}×; container build (engine load, clients): ${coldMs.toFixed(0)} ms\n`);
    // Lambda bills the handler's duration: its p50 here includes moto's S3/Athena and the stand-in's latency.
    const memoryMb = Number(process.env.READSCORE_BENCH_LAMBDA_MEMORY_MB ?? 3008);
    const cost = lambdaCostPer1000(figures.handler.p50, memoryMb);
    const baselineCost = lambdaCostPer1000(figures.local.p50, memoryMb);
    process.stdout.write(
      `Lambda cost per 1,000 activities at ${memoryMb} MB: $${cost.usd.toFixed(4)} (baseline CLI duration: $${baselineCost.usd.toFixed(4)}); cost = ${cost.formula}\n`,
    );
    writeJson(root, 'handler', {
      ...figures,
      ratioP50: ratio,
      containerBuildMs: coldMs,
      appsyncUpdates: standIn.received.length,
      lambdaCostPer1000: { memoryMb, usd: cost.usd, baselineUsd: baselineCost.usd, formula: cost.formula },
    });
  } finally {
    await standIn.stop();
    await aws.stop();
  }
}

runBenchmark('bench:handler', main);
