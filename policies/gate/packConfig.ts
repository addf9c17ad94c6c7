/**
 * Pack configuration per stack, in the format of `pulumi preview --policy-pack-config FILE`:
 * `{ "<policy>": "<level>" }` or `{ "<policy>": { "enforcementLevel": "<level>", ...properties } }`.
 * The gate reads `policies/config/<environment>.json` (or the file given) and, like the CLI, sends
 * every policy its resolved level: the file's, else the policy's default from GetAnalyzerInfo.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnforcementLevel } from '@pulumi/policy';
import { analyzer, Struct } from './proto';

/** One policy's entry in a pack config file. */
export type PolicyConfigEntry = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);

/** A pack config file. */
export type PackConfig = Readonly<Record<string, PolicyConfigEntry>>;

const LEVELS: Record<EnforcementLevel, analyzer.EnforcementLevel> = {
  advisory: analyzer.EnforcementLevel.ADVISORY,
  mandatory: analyzer.EnforcementLevel.MANDATORY,
  remediate: analyzer.EnforcementLevel.REMEDIATE,
  disabled: analyzer.EnforcementLevel.DISABLED,
};

/** The name of an enforcement level on the wire. */
export function levelName(level: analyzer.EnforcementLevel): EnforcementLevel {
  return (Object.entries(LEVELS).find(([, v]) => v === level)?.[0] ?? 'advisory') as EnforcementLevel;
}

/** Reads a pack config file; a bad level or shape is an error naming the file and policy. */
export function readPackConfig(file: string): PackConfig {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file}: must be a JSON object of policy names`);
  for (const [policy, entry] of Object.entries(parsed)) {
    const level = typeof entry === 'string' ? entry : (entry as { enforcementLevel?: unknown } | null)?.enforcementLevel;
    if (level !== undefined && !(typeof level === 'string' && level in LEVELS))
      throw new Error(`${file}: ${policy}: enforcementLevel must be one of ${Object.keys(LEVELS).join(', ')}`);
  }
  return parsed as PackConfig;
}

/** The config file of an environment (`policies/config/<environment>.json`), or none. */
export function environmentConfig(packDir: string, environment: string): PackConfig {
  const file = join(packDir, 'config', `${environment}.json`);
  return existsSync(file) ? readPackConfig(file) : {};
}

/**
 * The Configure request: every policy of `info` with its level and properties; a policy whose config
 * schema declares `environment` gets the stack's environment unless the file sets it.
 */
export function configureRequest(info: analyzer.AnalyzerInfo, config: PackConfig, environment: string): analyzer.ConfigureAnalyzerRequest {
  const request = new analyzer.ConfigureAnalyzerRequest();
  const map = request.getPolicyconfigMap();
  for (const policy of info.getPoliciesList()) {
    const entry = config[policy.getName()];
    const { enforcementLevel, ...properties } = typeof entry === 'string' ? { enforcementLevel: entry } : (entry ?? {});
    const schema = policy.getConfigschema()?.getProperties()?.toJavaScript() ?? {};
    if ('environment' in schema) properties.environment ??= environment;
    const message = new analyzer.PolicyConfig();
    message.setEnforcementlevel(enforcementLevel ? LEVELS[enforcementLevel] : policy.getEnforcementlevel());
    message.setProperties(Struct.fromJavaScript(properties as never));
    map.set(policy.getName(), message);
  }
  return request;
}
