import { describeValue } from './describeValue';
import { type ConsumerRegistry, consumerJson, streamNameOf } from './consumers';
import { KinesisApiError } from './types';
import type { Upstream } from './upstream';

/** The stream's name, after checking with kinesalite that this ARN is the ARN of an existing stream. */
async function existingStream(upstream: Upstream, streamArn: unknown): Promise<string> {
  const name = streamNameOf(streamArn);
  const out = await upstream.call<{ StreamDescriptionSummary?: { StreamARN?: string } }>('DescribeStreamSummary', { StreamName: name });
  if (out.StreamDescriptionSummary?.StreamARN !== streamArn) throw new KinesisApiError('ResourceNotFoundException', `Stream ${String(streamArn)} not found.`);
  return name;
}

/**
 * RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers and DeregisterStreamConsumer
 * on the front's registry; returns the JSON answer or throws {@link KinesisApiError}. Undefined when
 * `operation` is not one of them.
 */
export async function consumerOperation(operation: string, input: Record<string, unknown>, registry: ConsumerRegistry, upstream: Upstream): Promise<object | undefined> {
  switch (operation) {
    case 'RegisterStreamConsumer': {
      const streamName = await existingStream(upstream, input.StreamARN);
      return { Consumer: consumerJson(registry.register(String(input.StreamARN), streamName, input.ConsumerName)) };
    }
    case 'DescribeStreamConsumer':
      return { ConsumerDescription: consumerJson(registry.resolve(input), true) };
    case 'DeregisterStreamConsumer':
      registry.deregister(registry.resolve(input));
      return {};
    case 'ListStreamConsumers': {
      await existingStream(upstream, input.StreamARN);
      const max = input.MaxResults === undefined ? 100 : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 10_000) throw new KinesisApiError('InvalidArgumentException', `MaxResults must be between 1 and 10000 (got ${String(input.MaxResults)})`);
      let start = 0;
      if (input.NextToken !== undefined) {
        const [arn, offset] = Buffer.from(describeValue(input.NextToken), 'base64').toString('utf8').split('|');
        start = Number(offset);
        if (arn !== input.StreamARN || !Number.isInteger(start) || start < 0) throw new KinesisApiError('InvalidArgumentException', 'NextToken is not one this stream gave.');
      }
      const all = registry.list(describeValue(input.StreamARN));
      const page = all.slice(start, start + max);
      const next = start + max < all.length ? Buffer.from(`${String(input.StreamARN)}|${start + max}`).toString('base64') : undefined;
      return { Consumers: page.map((c) => consumerJson(c)), ...(next ? { NextToken: next } : {}) };
    }
    default:
      return undefined;
  }
}
