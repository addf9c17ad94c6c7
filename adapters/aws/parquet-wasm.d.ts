// Types for `parquet-wasm/node`: with moduleResolution node10 TypeScript ignores the package's
// exports map, so the Node build's declarations are re-exported under the subpath that Node loads.
declare module 'parquet-wasm/node' {
  export * from 'parquet-wasm/node/parquet_wasm';
}
