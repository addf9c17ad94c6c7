/** The Triton GPU engine: KServe v2 gRPC over TLS. */
export * from './breaker';
export * from './config';
export * from './modelRepository';
export * from './tritonEngine';
