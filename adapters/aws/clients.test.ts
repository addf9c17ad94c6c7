/** createAwsClients: config validation, and the SDK retry of S3 5xx and timeouts through a loopback proxy. */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../../core/errors';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localAwsSuite } from '../../test/support/localAws';
import { createAwsClients } from './clients';
import { S3SegmentStore } from './s3Audio';

const ACTIVITY = 'ABCDEF0123456789ABCDEF0123456789';
const KEY = `${ACTIVITY}/0001.wav`;

/** A proxy to moto that misbehaves on the first `faults` GETs of objects: 503, or no answer at all. */
async function faultyProxy(target: string, fault: '503' | 'hang', faults: number): Promise<{ url: string; gets: () => number; close: () => Promise<void> }> {
  const upstream = new URL(target);
  let gets = 0;
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url?.includes('.wav')) {
      gets += 1;
      if (gets <= faults) {
        req.resume();
        if (fault === 'hang') {
          hung.push(res);
          return;
        }
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>try again</Message></Error>');
        return;
      }
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gets: () => gets,
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('createAwsClients', () => {
  it('builds the four clients with standard retries and the configured attempts', async () => {
    const aws = createAwsClients({ region: 'eu-west-1', maxAttempts: 5 });
    expect(await aws.s3.config.region()).toBe('eu-west-1');
    expect(await aws.sqs.config.maxAttempts()).toBe(5);
    for (const client of [aws.s3, aws.sqs, aws.athena, aws.secrets]) expect(client.config.retryMode).toBe('standard');
    expect(((await aws.s3.config.retryStrategy()) as { mode?: string }).mode).toBe('standard');
    expect(await aws.secrets.config.maxAttempts()).toBe(5);
    expect(aws.s3.config.forcePathStyle).toBe(false);
  });

  it('defaults to 3 attempts and uses path-style S3 against a local endpoint', async () => {
    const aws = createAwsClients({ region: LOCAL_REGION, endpoint: 'http://127.0.0.1:9', credentials: LOCAL_CREDENTIALS });
    expect(await aws.s3.config.maxAttempts()).toBe(3);
    expect(aws.s3.config.forcePathStyle).toBe(true);
  });

  it.each([
    [{ region: '' }, 'region'],
    [{ region: 'eu-west-1', endpoint: 'ftp://x' }, 'endpoint'],
    [{ region: 'eu-west-1', maxAttempts: 0 }, 'maxAttempts'],
    [{ region: 'eu-west-1', requestTimeoutMs: -1 }, 'requestTimeoutMs'],
  ])('refuses %j naming the field', (config, field) => {
    expect(() => createAwsClients(config)).toThrow(ConfigError);
    expect(() => createAwsClients(config)).toThrow(field);
  });

  it('never puts a credential value in its error', () => {
    const secret = 'SECRET-VALUE-123';
    let message = '';
    try {
      createAwsClients({ region: 'nowhere', credentials: { accessKeyId: secret, secretAccessKey: secret } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('region');
    expect(message).not.toContain(secret);
  });
});

const suite = localAwsSuite();

suite.describe('createAwsClients against a faulty S3', () => {
  const bucket = 'speech-retry';
  const audio = new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4]);

  beforeAll(async () => {
    const s3 = new S3Client({ region: LOCAL_REGION, endpoint: suite.aws.endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: audio }));
  });

  async function readThrough(fault: '503' | 'hang', maxAttempts: number): Promise<{ result: Uint8Array | Error; gets: number }> {
    const proxy = await faultyProxy(suite.aws.endpoint, fault, 1);
    try {
      const aws = createAwsClients({ region: LOCAL_REGION, endpoint: proxy.url, credentials: LOCAL_CREDENTIALS, maxAttempts, requestTimeoutMs: 400 });
      const store = new S3SegmentStore(aws.s3, { bucket, maxSegmentBytes: 1024 });
      const result = await store
        .audioSource(ACTIVITY)
        .read(KEY)
        .catch((e: Error) => e);
      return { result, gets: proxy.gets() };
    } finally {
      await proxy.close();
    }
  }

  it('S3 503 then success: the SDK retries and the read returns the object', async () => {
    const { result, gets } = await readThrough('503', 3);
    expect(result).toEqual(audio);
    expect(gets).toBe(2);
  });

  it('with a single attempt the same 503 reaches the caller', async () => {
    const { result, gets } = await readThrough('503', 1);
    expect(result).toBeInstanceOf(Error);
    expect((result as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(503);
    expect(gets).toBe(1);
  });

  it('a request that never answers times out and is retried', async () => {
    const { result, gets } = await readThrough('hang', 3);
    expect(result).toEqual(audio);
    expect(gets).toBe(2);
  }, 10_000);
});
