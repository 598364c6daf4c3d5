import { AwsServiceError, ServiceUnavailableError } from '@shardline/core';
import { accepted, outcome, pendingRecord, settle, settlementKit } from '../../test/stageKit';
import { RecordExpiredError } from '../RecordExpiredError';
import { putFailureOf } from './Settlement';

describe('Settlement', () => {
  it('resolves a written record with where it landed and gives back its room', async () => {
    const kit = settlementKit();
    const r = pendingRecord('k', 'abc');
    const put = outcome(accepted(kit, r));
    expect(kit.budget.records).toBe(1);
    kit.settlement.succeed(r, 'shardId-1', '42', 3, true, 10, 25);
    await settle();
    expect(put.value).toMatchObject({ shardId: 'shardId-1', sequenceNumber: '42', subSequenceNumber: 3, aggregated: true });
    expect(kit.settlement.outstanding).toBe(0);
    expect(kit.settlement.unsettled).toBe(0);
    expect(kit.budget.records).toBe(0);
    // Settling twice changes nothing.
    kit.settlement.fail(r, new ServiceUnavailableError('late'));
    expect(kit.settlement.outstanding).toBe(0);
  });

  it('rejects a failed record, tells failure listeners, and ties the error to the record', async () => {
    const kit = settlementKit();
    const heard: string[] = [];
    kit.failures.on((f) => heard.push(f.record.partitionKey));
    const r = pendingRecord('pk', 'x');
    r.addFailedAttempt(0, 5, 'KMSDisabledException', 'disabled');
    const put = outcome(accepted(kit, r));
    const error = new AwsServiceError('KMSDisabledException', 'disabled', { retryable: false });
    kit.settlement.fail(r, error);
    await settle();
    expect(put.error).toBe(error);
    expect(heard).toEqual(['pk']);
    expect(putFailureOf(error)?.attempts.map((a) => a.errorCode)).toEqual(['KMSDisabledException']);
    expect(kit.memory.value('producer_user_records_failed_total', { error_code: error.code })).toBe(1);
    expect(kit.memory.value('producer_failures_unobserved_total')).toBe(0);
  });

  it('expires with RecordExpiredError carrying the last retryable error as its cause', async () => {
    const kit = settlementKit({ ttlMs: 500 });
    const r = pendingRecord();
    const put = outcome(accepted(kit, r));
    const last = new ServiceUnavailableError('InternalFailure');
    kit.settlement.expire(r, 600, last);
    await settle();
    expect(put.error).toBeInstanceOf(RecordExpiredError);
    expect(put.error?.cause).toBe(last);
    expect(kit.memory.value('producer_user_records_expired_total')).toBe(1);
  });

  it('counts a failure nobody can observe (send() without listeners)', () => {
    const kit = settlementKit();
    const r = pendingRecord();
    kit.budget.tryTake(r.sizeBytes);
    kit.settlement.entered();
    kit.settlement.accepted();
    kit.settlement.fail(r, new ServiceUnavailableError('gone'));
    expect(kit.memory.value('producer_failures_unobserved_total')).toBe(1);
  });

  it('wakes a flush once every record entered before it settled, not later ones', async () => {
    const kit = settlementKit();
    const [a, b, later] = [pendingRecord(), pendingRecord(), pendingRecord()];
    void accepted(kit, a);
    void accepted(kit, b);
    let flushed = false;
    kit.settlement.waitForSettled(b.seq, () => (flushed = true));
    void accepted(kit, later);
    kit.settlement.succeed(a, 's', '1', 0, false, 0, 0);
    expect(flushed).toBe(false);
    kit.settlement.refused(b, new Error('aborted'));
    expect(flushed).toBe(true);
    expect(kit.settlement.unsettled).toBe(1);
  });
});
