/**
 * Runs the policy pack the way the Pulumi CLI does: as a child process (`policies/index.ts` under
 * tsx, cwd = the pack folder, since PolicyPack reads ./package.json for its version) that prints the
 * port of its Analyzer gRPC server on stdout, then talks to it with the generated AnalyzerClient.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type analyzer, analyzerRpc, Empty } from './proto';

/** A pack that failed to start or answer; `code` says which step. */
export class PolicyPackError extends Error {
  constructor(
    readonly code: 'start-timeout' | 'exited' | 'rpc',
    message: string,
  ) {
    super(message);
    this.name = 'PolicyPackError';
  }
}

/** Limits on how long the pack may take (no hangs in CI). */
export interface PackTimeouts {
  /** Until the pack prints its port (tsx compiles the pack, @pulumi/policy loads). */
  readonly startMs: number;
  /** Per RPC. */
  readonly callMs: number;
}

const DEFAULT_TIMEOUTS: PackTimeouts = { startMs: 60_000, callMs: 30_000 };

type Unary<Req, Res> = (request: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown;

/** A running pack and a typed client for its Analyzer service. */
export class RunningPack {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: analyzerRpc.AnalyzerClient,
    private readonly timeouts: PackTimeouts,
    private readonly stderr: () => string,
  ) {}

  /** Starts the pack in `packDir` and connects to it. */
  static async start(packDir: string, timeouts: PackTimeouts = DEFAULT_TIMEOUTS): Promise<RunningPack> {
    // The IPC channel is for exitWithParent.cjs: the pack ends when the gate does, however it ends.
    const child = spawn(process.execPath, ['--require', join(__dirname, 'exitWithParent.cjs'), '--import', 'tsx', 'index.ts'], {
      cwd: packDir,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new PolicyPackError('start-timeout', `policy pack did not print its port within ${timeouts.startMs} ms\n${stderr}`)), timeouts.startMs);
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = /^(\d+)\s*$/m.exec(stdout);
        if (line) {
          clearTimeout(timer);
          resolve(Number(line[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new PolicyPackError('exited', `policy pack exited (${code ?? signal}) before printing its port\n${stderr}`));
      });
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    const client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 400 * 1024 * 1024 });
    return new RunningPack(child, client, timeouts, () => stderr);
  }

  private call<Req, Res>(method: Unary<Req, Res>, name: string, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(this.client, request, new grpc.Metadata(), { deadline: Date.now() + this.timeouts.callMs }, (error, response) =>
        error ? reject(new PolicyPackError('rpc', `${name}: ${error.details || error.message}\n${this.stderr()}`)) : resolve(response),
      );
    });
  }

  /** The pack's name, version and policies with their default enforcement levels. */
  info(): Promise<analyzer.AnalyzerInfo> {
    return this.call(this.client.getAnalyzerInfo as Unary<InstanceType<typeof Empty>, analyzer.AnalyzerInfo>, 'GetAnalyzerInfo', new Empty());
  }

  /** Sets every policy's enforcement level and properties. */
  configure(request: analyzer.ConfigureAnalyzerRequest): Promise<unknown> {
    return this.call(this.client.configure as Unary<analyzer.ConfigureAnalyzerRequest, unknown>, 'Configure', request);
  }

  /** Tells the pack which stack it analyzes. */
  configureStack(request: analyzer.AnalyzerStackConfigureRequest): Promise<unknown> {
    return this.call(this.client.configureStack as Unary<analyzer.AnalyzerStackConfigureRequest, unknown>, 'ConfigureStack', request);
  }

  /** Runs the resource policies on one resource. */
  analyze(request: analyzer.AnalyzeRequest): Promise<analyzer.AnalyzeResponse> {
    return this.call(this.client.analyze as Unary<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>, 'Analyze', request);
  }

  /** Runs the stack policies on every resource. */
  analyzeStack(request: analyzer.AnalyzeStackRequest): Promise<analyzer.AnalyzeResponse> {
    return this.call(this.client.analyzeStack as Unary<analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse>, 'AnalyzeStack', request);
  }

  /** Closes the client and ends the pack process (SIGTERM, then SIGKILL after a second). */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.connected) this.child.disconnect();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1_000);
    await exited;
    clearTimeout(timer);
  }
}
