/**
 * The part of the WebAssembly JS API the resampler uses. Node provides it globally, but the ES2022
 * lib and @types/node 20 do not declare it (it lives in the DOM lib).
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
