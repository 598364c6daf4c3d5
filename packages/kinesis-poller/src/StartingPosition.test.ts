import fc from 'fast-check';
import { ExtendedSequenceNumber, InvalidArgumentError } from '@shardline/core';
import { isPastFloor, iteratorRequest, resolveStartingPosition } from './StartingPosition';

const SEQ = '49590338271490256608559692538361571095921575989136588898';

describe('resolveStartingPosition', () => {
  it('accepts the shorthand strings and the object forms', () => {
    expect(resolveStartingPosition('LATEST')).toEqual({ type: 'LATEST' });
    expect(resolveStartingPosition({ type: 'TRIM_HORIZON' })).toEqual({ type: 'TRIM_HORIZON' });
    expect(resolveStartingPosition({ type: 'AT_TIMESTAMP', timestamp: 1_700_000_000_000 })).toEqual({ type: 'AT_TIMESTAMP', timestamp: new Date(1_700_000_000_000) });
    expect(resolveStartingPosition({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: SEQ })).toEqual({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: SEQ });
    expect(resolveStartingPosition({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ })).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ });
  });

  it('turns a position inside an aggregate into AT_SEQUENCE_NUMBER plus a floor', () => {
    expect(resolveStartingPosition(new ExtendedSequenceNumber(SEQ, 3))).toEqual({
      type: 'AT_SEQUENCE_NUMBER',
      sequenceNumber: SEQ,
      floor: { position: new ExtendedSequenceNumber(SEQ, 3), exclusive: true },
    });
    expect(resolveStartingPosition({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ, subSequenceNumber: 0 })).toMatchObject({ type: 'AT_SEQUENCE_NUMBER', floor: { exclusive: true } });
    expect(resolveStartingPosition({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: SEQ, subSequenceNumber: 2 })).toMatchObject({ type: 'AT_SEQUENCE_NUMBER', floor: { exclusive: false } });
    expect(resolveStartingPosition({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: SEQ, subSequenceNumber: 0 })).toEqual({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: SEQ });
  });

  it('maps the sentinels', () => {
    expect(resolveStartingPosition(ExtendedSequenceNumber.SHARD_END)).toEqual({ type: 'SHARD_END' });
    expect(resolveStartingPosition(ExtendedSequenceNumber.TRIM_HORIZON)).toEqual({ type: 'TRIM_HORIZON' });
    expect(resolveStartingPosition(ExtendedSequenceNumber.LATEST)).toEqual({ type: 'LATEST' });
    expect(() => resolveStartingPosition(ExtendedSequenceNumber.AT_TIMESTAMP)).toThrow(InvalidArgumentError);
  });

  it('names the field in errors', () => {
    expect(() => resolveStartingPosition('NEWEST' as never, 'poller.startingPosition')).toThrow(/^poller\.startingPosition must be/);
    expect(() => resolveStartingPosition({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '12a' })).toThrow('startingPosition.sequenceNumber must be a decimal sequence number (got "12a")');
    expect(() => resolveStartingPosition({ type: 'AT_TIMESTAMP', timestamp: Number.NaN })).toThrow('startingPosition.timestamp must be a Date or epoch milliseconds (got NaN)');
    expect(() => resolveStartingPosition({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ, subSequenceNumber: -1 })).toThrow(/subSequenceNumber must be an integer at least 0/);
    expect(() => resolveStartingPosition({ type: 'SOMEWHERE' } as never)).toThrow(/startingPosition\.type must be one of/);
  });

  it('builds the GetShardIterator request', () => {
    expect(iteratorRequest({ type: 'LATEST' })).toEqual({ ShardIteratorType: 'LATEST' });
    expect(iteratorRequest({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: SEQ })).toEqual({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: SEQ });
    const timestamp = new Date(5);
    expect(iteratorRequest({ type: 'AT_TIMESTAMP', timestamp })).toEqual({ ShardIteratorType: 'AT_TIMESTAMP', Timestamp: timestamp });
  });
});

describe('isPastFloor', () => {
  const seq = fc.bigInt({ min: 0n, max: 10n ** 56n }).map(String);
  it('agrees with ExtendedSequenceNumber ordering', () => {
    fc.assert(
      fc.property(seq, fc.nat(1000), seq, fc.nat(1000), fc.boolean(), (s, sub, fs, fsub, exclusive) => {
        const floor = { position: new ExtendedSequenceNumber(fs, fsub), exclusive };
        const c = new ExtendedSequenceNumber(s, sub).compareTo(floor.position);
        expect(isPastFloor(s, sub, floor)).toBe(exclusive ? c > 0 : c >= 0);
      }),
    );
  });
});
