/** The scoring pipeline: activity manifest in, per-item verdicts out. */
export * from './activity';
export * from './audioSource';
export * from './engine';
export * from './score';
