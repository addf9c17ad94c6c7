/** One typed configuration for the CLI and the Lambda handlers. */
export * from './config';
export * from './settings';
