/**
 * The MultiLang child of multilang.bench.ts, run as `node --conditions=shardline-source --import
 * tsx bench/countingChild.ts`: the bench's counting processor, reporting each batch's size as a
 * `delivered <n>` line on stderr, which the daemon hands to its logger with the shard id.
 */
import { runMultiLangProcessor } from '../src';
import { countingProcessor } from './countingProcessor';

runMultiLangProcessor(countingProcessor((n) => void process.stderr.write(`delivered ${n}\n`))).catch(() => process.exit(1));
