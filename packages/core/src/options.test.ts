import { InvalidArgumentError } from './errors';
import { booleanOption, enumOption, integerOption, numberOption, rejectUnknownOptions, requiredString, stringOption } from './options';

describe('option validators', () => {
  it('fill defaults and name the offending field', () => {
    expect(integerOption('producer.maxConnections', undefined, 24, { min: 1, max: 256 })).toBe(24);
    expect(() => integerOption('producer.maxConnections', 0, 24, { min: 1, max: 256 })).toThrow(new InvalidArgumentError('producer.maxConnections must be an integer between 1 and 256 (got 0)'));
    expect(() => integerOption('x.n', 1.5, 1)).toThrow('x.n must be an integer (got 1.5)');
    expect(() => numberOption('x.r', Number.NaN, 1)).toThrow('x.r must be a finite number (got NaN)');
    expect(() => numberOption('x.r', -1, 1, { min: 0 })).toThrow('x.r must be at least 0 (got -1)');
    expect(() => booleanOption('x.b', 'yes', false)).toThrow('x.b must be a boolean (got "yes")');
    expect(() => stringOption('x.s', 'ab', '', { pattern: /^a$/ })).toThrow('x.s must match /^a$/ (got "ab")');
    expect(() => requiredString('poller.streamName', undefined)).toThrow('poller.streamName is required');
    expect(() => requiredString('poller.streamName', '')).toThrow('poller.streamName must not be empty');
    expect(enumOption('x.e', undefined, ['a', 'b'] as const, 'a')).toBe('a');
    expect(() => enumOption('x.e', 'c', ['a', 'b'] as const, 'a')).toThrow('x.e must be one of "a", "b" (got "c")');
  });

  it('rejects unknown options with a hint for near misses and renames', () => {
    expect(() => rejectUnknownOptions('producer', { maxConnection: 3 }, ['maxConnections'])).toThrow('producer.maxConnection is not an option; did you mean producer.maxConnections?');
    expect(() => rejectUnknownOptions('producer', { ttl: 3 }, ['recordTtlMs'], { ttl: 'recordTtlMs' })).toThrow(/did you mean producer.recordTtlMs/);
    expect(() => rejectUnknownOptions('producer', { nope: 1 }, ['a'])).toThrow('producer.nope is not an option');
    expect(() => rejectUnknownOptions('producer', { a: 1, b: undefined }, ['a'])).not.toThrow();
  });
});
