/**
 * A local HTTPS GraphQL server standing in for AppSync in tests: the `updateActivity` mutation with an
 * AWSJSON scalar, API-key auth, the variables checked against the shared contract, and injectable faults.
 */
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { buildSchema, type GraphQLScalarType, graphql, Kind } from 'graphql';
import { type FieldValues, validateAppSyncVariables } from '../../core/contracts/appsyncVariables';
import { createTestCa } from '../triton/pki';

/** Faults the stand-in can answer with. */
export type AppSyncFault = 'http500' | 'http429' | 'graphql-errors' | 'wrong-activity-id' | 'hang';

/** One update the stand-in applied. */
export interface ReceivedUpdate {
  readonly activityId: string;
  readonly fieldValues: FieldValues;
}

/** One POST that passed the API-key check, faulted or not. */
export interface StandInRequest {
  readonly status: number;
  readonly fault?: AppSyncFault;
}

/** A running stand-in. */
export interface AppSyncStandIn {
  /** `https://127.0.0.1:<port>/graphql`. */
  readonly url: string;
  /** The CA that signed the server certificate (what a client must trust). */
  readonly caPem: string;
  /** Updates applied (valid variables, no fault), oldest first. */
  readonly received: ReceivedUpdate[];
  /** Authorised requests, oldest first. */
  readonly requests: StandInRequest[];
  /** Requests refused for a missing or wrong `x-api-key`. */
  readonly unauthorised: number;
  /** Answers the next `n` authorised requests with `fault`. */
  failNext(n: number, fault: AppSyncFault): void;
  /** Forgets what was received and any pending faults (between tests). */
  reset(): void;
  stop(): Promise<void>;
}

const SDL = `
  scalar AWSJSON
  type Activity { activityId: ID! }
  type Query { ping: String }
  type Mutation { updateActivity(activityId: ID!, fieldValues: AWSJSON!): Activity }
`;

function awsJson(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('AWSJSON must be a JSON string');
  JSON.parse(value);
  return value;
}

/** Starts the stand-in on 127.0.0.1 and a free port, with a fresh CA and server certificate. */
export async function startAppSyncStandIn(options: { apiKey: string }): Promise<AppSyncStandIn> {
  const ca = createTestCa('AppSync stand-in CA');
  const identity = ca.server(['127.0.0.1', 'localhost']);
  const schema = buildSchema(SDL);
  const scalar = schema.getType('AWSJSON') as GraphQLScalarType;
  scalar.serialize = awsJson;
  scalar.parseValue = awsJson;
  scalar.parseLiteral = (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('AWSJSON literal must be a string');
    return awsJson(ast.value);
  };
  const received: ReceivedUpdate[] = [];
  const requests: StandInRequest[] = [];
  const faults: AppSyncFault[] = [];
  let unauthorised = 0;

  const rootValue = {
    updateActivity: (args: { activityId: string; fieldValues: string }) => {
      const variables = validateAppSyncVariables(args, 'stand-in updateActivity');
      received.push({ activityId: variables.activityId, fieldValues: JSON.parse(variables.fieldValues) as FieldValues });
      return { activityId: variables.activityId };
    },
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server: Server = createServer({ cert: identity.cert, key: identity.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { errors: [{ message: 'not found' }] });
        if (req.headers['x-api-key'] !== options.apiKey) {
          unauthorised++;
          return send(res, 401, { errors: [{ errorType: 'UnauthorizedException', message: 'You are not authorized to make this call.' }] });
        }
        const fault = faults.shift();
        const record = (status: number) => requests.push(fault ? { status, fault } : { status });
        if (fault === 'hang') return record(0);
        if (fault === 'http500' || fault === 'http429') {
          const status = fault === 'http500' ? 500 : 429;
          record(status);
          return send(res, status, { errors: [{ errorType: status === 500 ? 'InternalFailure' : 'TooManyRequestsException', message: 'injected by the stand-in' }] });
        }
        if (fault === 'graphql-errors') {
          record(200);
          return send(res, 200, {
            data: { updateActivity: null },
            errors: [{ path: ['updateActivity'], errorType: 'DynamoDB:ProvisionedThroughputExceededException', message: 'injected resolver failure' }],
          });
        }
        let body: { query?: unknown; variables?: unknown; operationName?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          record(400);
          return send(res, 400, { errors: [{ errorType: 'MalformedHttpRequestException', message: 'body is not JSON' }] });
        }
        if (typeof body.query !== 'string') {
          record(400);
          return send(res, 400, { errors: [{ message: 'query must be a string' }] });
        }
        const result = await graphql({
          schema,
          source: body.query,
          rootValue: fault === 'wrong-activity-id' ? { updateActivity: () => ({ activityId: 'F'.repeat(32) }) } : rootValue,
          variableValues: body.variables as Record<string, unknown> | undefined,
          operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
        });
        // Like AppSync: request errors (parse, validation, variables) are 400, resolver errors 200.
        const status = result.data === undefined ? 400 : 200;
        record(status);
        send(res, status, result);
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/graphql`,
    caPem: ca.caPem,
    received,
    requests,
    get unauthorised() {
      return unauthorised;
    },
    failNext(n, fault) {
      for (let i = 0; i < n; i++) faults.push(fault);
    },
    reset() {
      received.length = 0;
      requests.length = 0;
      faults.length = 0;
      unauthorised = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
