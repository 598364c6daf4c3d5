/**
 * `@shardline/core/base`: everything of core except what names the AWS SDK's types (the client
 * factories and `listShards`). A package whose own API needs no AWS client (kpl-aggregation, a pure
 * codec) imports from here, so that its declarations compile in an application without the SDK,
 * also with `skipLibCheck: false`. `@shardline/core` exports all of this too, from the same modules.
 * @packageDocumentation
 */
export * from './errors';
export * from './classifyAwsError';
export * from './options';
export * from './hashKey';
export * from './HashKeyRange';
export * from './ShardInfo';
export * from './ExtendedSequenceNumber';
export * from './Clock';
export * from './backoff';
export * from './Logger';
export * from './redactSecrets';
export * from './Metrics';
export * from './peerDependency';
export * from './processorErrors';
