/** Versioned contracts at ReadScore's boundaries; JSON Schemas are committed under contracts/. */
export * from './activityResult';
export * from './appsyncVariables';
export * from './errors';
export * from './resultsParquet';
export * from './scoreRequest';
export * from './segmentManifest';
