/** One entry of a PutRecords request, in the SDK's field names. @public */
export interface PutRecordsEntry {
  readonly PartitionKey: string;
  readonly ExplicitHashKey?: string;
  readonly Data: Uint8Array;
}

/** A PutRecords request: the target stream (by name or ARN) and up to 500 entries. @public */
export interface PutRecordsRequest {
  readonly streamName?: string;
  readonly streamArn?: string;
  readonly records: readonly PutRecordsEntry[];
}

/**
 * The outcome of one entry, at the same index as the request entry: `shardId` and `sequenceNumber`
 * on success, `errorCode` (e.g. `ProvisionedThroughputExceededException`, `InternalFailure`) and
 * `errorMessage` on failure.
 * @public
 */
export interface PutRecordsResultEntry {
  readonly shardId?: string;
  readonly sequenceNumber?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** The response of a PutRecords call. @public */
export interface PutRecordsResponse {
  readonly records: readonly PutRecordsResultEntry[];
}

/**
 * The one call the producer makes to write data: the seam tests and custom transports plug into.
 * Reject for a whole-request failure (the error is classified with core's `classifyAwsError`);
 * report per-entry failures in the response. Honour `signal`: the producer aborts a request that
 * outlives `requestTimeoutMs` or when it is closed, and stops waiting for it either way.
 * @public
 */
export interface Putter {
  putRecords(request: PutRecordsRequest, signal: AbortSignal): Promise<PutRecordsResponse>;
}
