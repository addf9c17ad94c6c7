/** Inference engines behind one interface, chosen by configuration. */
export * from './cpuOnnx';
export * from './factory';
