export { runDemo, type RunDemoOptions } from './runDemo';
export { demoUsage, parseDemoArgs, type DemoArgs } from './parseDemoArgs';
export type { DemoSummary } from './formatSummary';
export { verifyRun, type RunEvidence, type Takeover, type Verification } from './verifyRun';
