/** The tags every taggable resource carries (project, environment, owner, cost-center). */
import type { StackConfig } from './config';

/** Tag keys, as the cost and tagging policy checks them. */
export const REQUIRED_TAGS = ['project', 'environment', 'owner', 'cost-center'] as const;

/** A stack's tags. */
export type Tags = Readonly<Record<(typeof REQUIRED_TAGS)[number], string>>;

/** The tags of a stack. */
export function stackTags(config: StackConfig): Tags {
  return { project: 'readscore', environment: config.environment, owner: config.owner, 'cost-center': config.costCenter };
}

/** Resource names: `readscore-<environment>-<part>` (≤ 64 characters). */
export function resourceName(config: StackConfig, part: string): string {
  return `readscore-${config.environment}-${part}`.slice(0, 64);
}
