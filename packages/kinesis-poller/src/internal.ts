/**
 * `@shardline/kinesis-poller/internal`: pieces of the polling reader that other Shardline packages
 * reuse so that their retrievals read records exactly as the reader does (kcl-consumer's enhanced
 * fan-out). Not part of the supported API: not in the package's main entry nor its API report, and
 * free to change in any release. Applications import `@shardline/kinesis-poller` only.
 *
 * A subpath rather than exports of the main entry tagged internal: the build's `stripInternal`
 * drops such declarations from the `.d.ts` files that other packages compile against (it matches
 * the tag anywhere in a doc comment, so these comments do not spell it).
 * @packageDocumentation
 */
export { isPastFloor } from './StartingPosition';
export { plainUserRecord } from './plainUserRecord';
export { readRateOption } from './resolveShardReaderOptions';
