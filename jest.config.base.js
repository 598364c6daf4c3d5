// Shared jest configuration: every package's jest.config.js calls this with its own directory.
// Workspace packages resolve to their TypeScript sources through the "shardline-source" export
// condition, so tests never need a prior build.
const path = require('node:path');

module.exports = (dir) => ({
  rootDir: dir,
  displayName: require(path.join(dir, 'package.json')).name,
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['shardline-source', 'node', 'node-addons'] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(dir, 'tsconfig.json') }],
  },
  testTimeout: 120_000,
  // Integration tests start emulators; two workers keep a 2-core machine responsive.
  maxWorkers: process.env.CI ? 2 : '50%',
});
