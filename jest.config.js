/** Jest: TypeScript through SWC (type checking is `npm run typecheck`). */
module.exports = {
  testEnvironment: '<rootDir>/test/support/jestEnvironment.js',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/{core,engines,aligner,handlers,tools,test,infra,policies}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/aligner/target/'],
  collectCoverageFrom: ['core/**/*.ts', 'engines/**/*.ts', '!**/*.test.ts', '!**/*.d.ts', '!**/*.generated.ts'],
  coverageThreshold: { global: { lines: 80, branches: 70 } },
};
