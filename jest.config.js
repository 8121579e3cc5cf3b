/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  // End-to-end suites spawn the real CLI and batch systems; two workers match the machine.
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/helpers/sequencer.mjs',
  testTimeout: 60000,
  // Background batch jobs of a failed test must not keep the run (and CI) waiting.
  forceExit: true,
};
