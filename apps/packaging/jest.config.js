// The packaging suite builds and packs the public packages once per test file and installs them
// into temporary applications; one file at a time keeps the 2-core machine responsive.
const base = require('../../jest.config.base.js')(__dirname);

module.exports = { ...base, testTimeout: 300_000, maxWorkers: 1 };
