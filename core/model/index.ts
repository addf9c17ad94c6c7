/** The model folder contract shared by every engine. */
export * from './manifest';
export * from './preprocess';
export * from './tokenMap';
