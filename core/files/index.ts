export * from './regularFile';
