/** Scoring: alignment costs, per-item verdicts, phrase and activity totals. */
export * from './costs';
export * from './phrase';
export * from './secondLook';
export * from './types';
