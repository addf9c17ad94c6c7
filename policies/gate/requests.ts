/**
 * Turns the resources a mocked run recorded into the Analyzer requests the Pulumi CLI would send:
 * inputs (secrets re-wrapped in Pulumi's secret envelope) for `Analyze`, outputs plus `id` for
 * `AnalyzeStack`, each with `AnalyzerResourceOptions`, parent, dependencies and provider.
 */
import type { RecordedResource } from '../../infra/mock/harness';
import { analyzer, Struct } from './proto';

/** Pulumi's property-value signature key and the secret signature (the wire format of a secret). */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON-safe copy (undefined dropped, non-finite numbers as null), as a protobuf Struct needs. */
function toJson(value: unknown): Record<string, Json> {
  return JSON.parse(JSON.stringify(value ?? {}, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))) as Record<string, Json>;
}

/** Splits a harness secret path (`a.b[0].c`) into keys and indexes. */
function pathSegments(path: string): (string | number)[] {
  return path.split('.').flatMap((part) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [part];
    const indexes = [...(m[2] ?? '').matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] ? [m[1]] : []), ...indexes];
  });
}

/** Wraps the values at `paths` in Pulumi secret envelopes, as the CLI sends secret inputs. */
export function wrapSecrets(properties: Record<string, Json>, paths: readonly string[]): Record<string, Json> {
  for (const path of paths) {
    if (path === '(root)') continue;
    const segments = pathSegments(path);
    let holder: Json | undefined = properties;
    for (const segment of segments.slice(0, -1)) holder = holder && typeof holder === 'object' ? (holder as Record<string, Json>)[segment as string] : undefined;
    const last = segments[segments.length - 1];
    if (holder && typeof holder === 'object' && last !== undefined) {
      const h = holder as Record<string | number, Json>;
      if (h[last] !== undefined) h[last] = { [SIG_KEY]: SECRET_SIG, value: h[last] as Json };
    }
  }
  return properties;
}

/** The URN of a recorded resource, and of a `type::name` reference (a parent or dependency). */
export class UrnIndex {
  private readonly byKey = new Map<string, string>();
  private readonly byUrn = new Map<string, RecordedResource>();

  constructor(
    private readonly stack: string,
    resources: readonly RecordedResource[],
  ) {
    for (const r of resources) {
      this.byKey.set(`${r.type}::${r.name}`, r.urn);
      this.byUrn.set(r.urn, r);
    }
  }

  /** The URN for `type::name` (components the harness did not record get the same URN scheme). */
  urnOf(key: string): string {
    return this.byKey.get(key) ?? `urn:pulumi:${this.stack}::readscore::${key}`;
  }

  /** The provider resource a `urn::id` provider reference names. */
  provider(reference: string | undefined): RecordedResource | undefined {
    if (!reference) return undefined;
    return this.byUrn.get(reference.slice(0, reference.lastIndexOf('::')));
  }
}

function options(resource: RecordedResource, urns: UrnIndex): analyzer.AnalyzerResourceOptions {
  const opts = new analyzer.AnalyzerResourceOptions();
  opts.setProtect(false);
  opts.setIgnorechangesList([]);
  opts.setAliasesList([]);
  opts.setAdditionalsecretoutputsList([]);
  opts.setDeletebeforereplacedefined(false);
  if (resource.parent) opts.setParent(urns.urnOf(resource.parent));
  return opts;
}

function provider(resource: RecordedResource, urns: UrnIndex): analyzer.AnalyzerProviderResource | undefined {
  const p = urns.provider(resource.provider);
  if (!p) return undefined;
  const message = new analyzer.AnalyzerProviderResource();
  message.setType(p.type);
  message.setName(p.name);
  message.setUrn(p.urn);
  message.setProperties(Struct.fromJavaScript(toJson(p.inputs)));
  return message;
}

/** The `Analyze` request for one resource: its inputs, as the CLI sends them before a step. */
export function analyzeRequest(resource: RecordedResource, urns: UrnIndex): analyzer.AnalyzeRequest {
  const request = new analyzer.AnalyzeRequest();
  request.setType(resource.type);
  request.setName(resource.name);
  request.setUrn(resource.urn);
  request.setProperties(Struct.fromJavaScript(wrapSecrets(toJson(resource.inputs), resource.secretPaths)));
  request.setOptions(options(resource, urns));
  const p = provider(resource, urns);
  if (p) request.setProvider(p);
  return request;
}

/** The `AnalyzeStack` request: every resource with its outputs (and `id`), parent and dependencies. */
export function analyzeStackRequest(resources: readonly RecordedResource[], urns: UrnIndex): analyzer.AnalyzeStackRequest {
  const request = new analyzer.AnalyzeStackRequest();
  request.setResourcesList(
    resources.map((r) => {
      const message = new analyzer.AnalyzerResource();
      message.setType(r.type);
      message.setName(r.name);
      message.setUrn(r.urn);
      message.setProperties(Struct.fromJavaScript(wrapSecrets(toJson({ id: `${r.name}-id`, ...r.state }), r.secretPaths)));
      message.setOptions(options(r, urns));
      if (r.parent) message.setParent(urns.urnOf(r.parent));
      message.setDependenciesList(r.dependsOn.map((d) => urns.urnOf(d)));
      const p = provider(r, urns);
      if (p) message.setProvider(p);
      return message;
    }),
  );
  return request;
}
