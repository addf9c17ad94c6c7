/**
 * Sends one mocked stack through a running pack, the way `pulumi preview --policy-pack` does:
 * Configure (levels and properties for this stack), ConfigureStack, Analyze per resource, then
 * AnalyzeStack once; collects the diagnostics as violations naming their resource.
 */
import type { EnforcementLevel } from '@pulumi/policy';
import type { MockedStack } from '../../infra/mock/harness';
import type { RunningPack } from './pack';
import { configureRequest, levelName, type PackConfig } from './packConfig';
import { analyzer } from './proto';
import { analyzeRequest, analyzeStackRequest, UrnIndex } from './requests';

/** One policy violation the pack reported. */
export interface Violation {
  readonly policy: string;
  readonly level: EnforcementLevel;
  /** `type name` of the resource, or `(stack)` when a stack policy names none. */
  readonly resource: string;
  readonly urn?: string;
  /** The policy's message (without the description the pack prefixes to it). */
  readonly message: string;
}

function violation(d: analyzer.AnalyzeDiagnostic, resource: string, urn: string | undefined): Violation {
  const description = d.getDescription();
  const message = d.getMessage().startsWith(`${description}\n`) ? d.getMessage().slice(description.length + 1) : d.getMessage();
  return { policy: d.getPolicyname(), level: levelName(d.getEnforcementlevel()), resource, ...(urn ? { urn } : {}), message };
}

/** Analyzes `mocked` with `pack` under `config`; returns every violation, resource policies first. */
export async function analyzeMockedStack(pack: RunningPack, mocked: MockedStack, config: PackConfig, raw: Record<string, unknown>): Promise<Violation[]> {
  const info = await pack.info();
  await pack.configure(configureRequest(info, config, mocked.config.environment));
  const stackRequest = new analyzer.AnalyzerStackConfigureRequest();
  stackRequest.setStack(mocked.stack);
  stackRequest.setProject('readscore');
  stackRequest.setDryRun(true);
  for (const [k, v] of Object.entries(raw)) stackRequest.getConfigMap().set(k, typeof v === 'string' ? v : JSON.stringify(v));
  await pack.configureStack(stackRequest);

  const urns = new UrnIndex(mocked.stack, mocked.resources);
  const labels = new Map(mocked.resources.map((r) => [r.urn, `${r.type} ${r.name}`]));
  const violations: Violation[] = [];
  for (const resource of mocked.resources) {
    const response = await pack.analyze(analyzeRequest(resource, urns));
    for (const d of response.getDiagnosticsList()) violations.push(violation(d, `${resource.type} ${resource.name}`, resource.urn));
  }
  const response = await pack.analyzeStack(analyzeStackRequest(mocked.resources, urns));
  for (const d of response.getDiagnosticsList()) violations.push(violation(d, labels.get(d.getUrn()) ?? '(stack)', d.getUrn() || undefined));
  return violations;
}
