/** The item catalog: which letter items exist and how each may be pronounced. */
export * from './catalog';
