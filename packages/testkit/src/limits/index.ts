export * from './ShardLimits';
export type { LimitsClock } from './budgets';
export * from './ShardBudget';
export type { LimitsFrontStats, StreamBudgetLevels } from './frontContext';
export * from './LimitsFront';
export * from './emulatorClient';
