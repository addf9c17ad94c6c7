/** Jest: TypeScript through SWC (type checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: '<rootDir>/test/support/jestEnvironment.js',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // The AWS SDK's CommonJS build loads node:http and some providers with dynamic import(), which
    // Jest's VM cannot run without --experimental-vm-modules; SWC rewrites those to require().
    '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs', ignoreDynamic: false } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@smithy|@aws-sdk)/)'],
  testMatch: ['<rootDir>/{core,engines,aligner,handlers,adapters,tools,test,infra,policies}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/aligner/target/'],
  collectCoverageFrom: ['core/**/*.ts', 'engines/**/*.ts', 'adapters/**/*.ts', '!**/*.test.ts', '!**/*.d.ts', '!**/*.generated.ts'],
  coverageThreshold: { global: { lines: 80, branches: 70 } },
};
