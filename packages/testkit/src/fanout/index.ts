export { startFanOutFront } from './startFanOutFront';
export { FanOutFrontOptionsError } from './types';
export type { FanOutEndReason, FanOutFront, FanOutFrontOptions, FanOutStats, FanOutSubscriptionInfo } from './types';
