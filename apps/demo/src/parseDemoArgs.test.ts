import { demoUsage, parseDemoArgs } from './parseDemoArgs';

describe('parseDemoArgs', () => {
  it('fills the defaults', () => {
    expect(parseDemoArgs([])).toEqual({ durationSeconds: 30, records: undefined, rate: 1_000, shards: 4, workers: 3, recordBytes: 100, keepRunning: false, help: false });
  });

  it('reads every option, in both --flag value and --flag=value forms', () => {
    expect(parseDemoArgs(['--records', '5000', '--rate=250', '--shards', '6', '--workers', '4', '--record-size', '512', '--keep-running'])).toEqual({
      durationSeconds: 30,
      records: 5_000,
      rate: 250,
      shards: 6,
      workers: 4,
      recordBytes: 512,
      keepRunning: true,
      help: false,
    });
    expect(parseDemoArgs(['--duration', '12'])).toMatchObject({ durationSeconds: 12, records: undefined });
    expect(parseDemoArgs(['-h'])).toMatchObject({ help: true });
  });

  it('treats a flag followed by another flag as a missing value, not as a count of 1', () => {
    expect(() => parseDemoArgs(['--records', '--workers', '3'])).toThrow("Option '--records' argument is ambiguous. (see --help)");
    expect(() => parseDemoArgs(['--workers'])).toThrow("Option '--workers <value>' argument missing (see --help)");
  });

  it('rejects unknown options, positionals, and values out of range or not integers, naming the flag', () => {
    expect(() => parseDemoArgs(['--recrods', '5'])).toThrow(/Unknown option '--recrods'/);
    expect(() => parseDemoArgs(['5000'])).toThrow(/Unexpected argument '5000'/);
    expect(() => parseDemoArgs(['--records', '0'])).toThrow('--records must be an integer between 1 and 10000000 (got 0)');
    expect(() => parseDemoArgs(['--rate', '1.5'])).toThrow('--rate must be an integer (got "1.5")');
    expect(() => parseDemoArgs(['--workers', '2'])).toThrow('--workers must be an integer between 3 and 16 (got 2)');
    expect(() => parseDemoArgs(['--duration', '10', '--records', '100'])).toThrow('--duration and --records exclude each other');
    expect(() => parseDemoArgs(['--shards', '2', '--workers', '4'])).toThrow(/--shards must be at least --workers − 1/);
  });

  it('documents every option with its default', () => {
    const usage = demoUsage();
    for (const line of [
      '--duration S',
      '(default 30)',
      '--records N',
      '--rate N',
      '(default 1000)',
      '--shards N',
      '(default 4)',
      '--workers N',
      '(default 3)',
      '--record-size B',
      '(default 100)',
      '--keep-running',
      '--help',
    ])
      expect(usage).toContain(line);
  });
});
