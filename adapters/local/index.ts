/** Local-file adapters of the ports: the CLI's activities, audio and results. */
export * from './audioFiles';
export * from './audioRoot';
export * from './manifestSource';
export * from './resultFolder';
