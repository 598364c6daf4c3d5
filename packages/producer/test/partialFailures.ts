import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type FaultInjector, injectFaults } from '@shardline/testkit';

interface Entry {
  readonly PartitionKey: string;
  readonly ExplicitHashKey?: string;
  readonly Data: Uint8Array;
}

/** Decides the fate of one PutRecords entry: undefined = write it, else the error to report. */
export type EntryDecision = (entry: Entry, index: number) => { readonly errorCode: string; readonly errorMessage?: string } | undefined;

interface Plan {
  readonly failed: { index: number; errorCode: string; errorMessage: string }[];
  /** Every entry failed: a throw-away entry went to the scratch stream. */
  readonly scratch: boolean;
}

/**
 * Real partial failures at the SDK middleware seam: entries chosen by `decide` are taken out of the
 * request before it reaches the emulator (so they are really not written) and put back into the
 * response as failed entries, at their index, as Kinesis reports them. PutRecords needs one
 * entry: when every entry fails, one throw-away entry goes to `scratchStream` instead.
 */
export function injectPartialFailures(client: KinesisClient, decide: EntryDecision, scratchStream?: string): FaultInjector {
  const plans = new WeakMap<object, Plan>();
  return injectFaults(client, {
    before(ctx) {
      if (ctx.commandName !== 'PutRecordsCommand') return;
      const kept: Entry[] = [];
      const failed: Plan['failed'] = [];
      (ctx.input.Records as Entry[]).forEach((r, i) => {
        const f = decide(r, i);
        if (f) failed.push({ index: i, errorCode: f.errorCode, errorMessage: f.errorMessage ?? f.errorCode });
        else kept.push(r);
      });
      if (kept.length > 0) {
        Object.assign(ctx.input, { Records: kept });
        plans.set(ctx.input, { failed, scratch: false });
        return;
      }
      if (!scratchStream) throw new Error('injectPartialFailures: every entry failed and no scratchStream was given');
      Object.assign(ctx.input, { StreamName: scratchStream, Records: [{ PartitionKey: 'scratch', Data: new Uint8Array(1) }] });
      plans.set(ctx.input, { failed, scratch: true });
    },
    after(ctx, output) {
      const plan = plans.get(ctx.input);
      if (!plan?.failed.length) return undefined;
      const results = plan.scratch ? [] : [...(output.Records as object[])];
      for (const f of plan.failed) results.splice(f.index, 0, { ErrorCode: f.errorCode, ErrorMessage: f.errorMessage });
      return { ...output, Records: results, FailedRecordCount: plan.failed.length };
    },
  });
}
