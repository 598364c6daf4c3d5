export { newLease, type Lease, type LeaseSpec } from './Lease';
export { LEASE_ATTRIBUTES, isLeaseItem, leaseFromItem, leaseToItem, type DynamoItem } from './LeaseSerializer';
export { LeaseTable, type LeaseMetaInfo, type LeaseWriteResult, type ListLeasesOptions } from './LeaseTable';
export { LeaseExpiryTracker } from './LeaseExpiryTracker';
export { decideLeasesToTake, type LeaseTakerDecision, type LeaseTakerPolicy, type LeaseTakerSnapshot } from './LeaseTaker';
export type { LeaseLostReason } from './LeaseRenewer';
export { Checkpointer, type CheckpointChange, type CheckpointWriter, type PreparedCheckpoint } from './Checkpointer';
export { LeaseCoordinator } from './LeaseCoordinator';
export { isFinishedLease, type DuplicateWorkerId, type LeaseCoordinatorEvents, type StopOptions, type StoredCheckpoint } from './LeaseCoordinatorEvents';
export {
  defaultWorkerId,
  resolveLeaseCoordinatorOptions,
  resolveLeaseTableOptions,
  type BillingMode,
  type LeaseCoordinatorOptions,
  type LeaseTableOptions,
  type ResolvedLeaseCoordinatorOptions,
  type ResolvedLeaseTableOptions,
} from './resolveLeaseOptions';
