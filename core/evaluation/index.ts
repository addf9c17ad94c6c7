/** Evaluation of a scorer on labelled recordings: error rates with confidence intervals, confusions, the second-look trade-off. */
export * from './labels';
export * from './metrics';
export * from './replayEngine';
export * from './report';
export * from './wilson';
