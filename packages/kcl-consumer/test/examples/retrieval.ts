// README "Retrieval"; the README imports the package by name instead of ../../src.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { createLogger, PollingRetrieval, Worker } from '../../src';
export function prefetchingWorker(): Worker {
  const kinesisClient = new KinesisClient({ maxAttempts: 1 }); // yours: the reader retries per shard; destroy it after stop()
  const logger = createLogger({ name: 'orders-app' });
  const retrieval = new PollingRetrieval({ client: kinesisClient, logger, limit: 1_000, maxPrefetchBatches: 2, requestTimeoutMs: 10_000 });
  return new Worker({ applicationName: 'orders-app', streamName: 'orders', kinesisClient, retrieval, logger, handler: (records) => console.log(records.length) });
}
