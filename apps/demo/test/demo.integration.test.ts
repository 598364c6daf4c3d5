import { parseDemoArgs } from '../src/parseDemoArgs';
import { runDemo } from '../src/runDemo';

describe('the demo', () => {
  it('consumes every record produced, in order per shard, children after parents, through a split and a handover', async () => {
    const lines: string[] = [];
    const saved = { ...process.env };
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_DYNAMODB']) delete process.env[k];
    try {
      const summary = await runDemo(parseDemoArgs(['--records', '4000', '--workers', '3', '--shards', '4', '--timeout-ms', '60000']), (l) => lines.push(l));
      expect(summary).toMatchObject({ ok: true, produced: 4000, consumed: 4000, orderViolations: 0, lineageViolations: 0, leases: 6 });
      expect(lines.some((l) => l.startsWith('resharding: split'))).toBe(true);
      expect(lines.some((l) => l.startsWith('handover:'))).toBe(true);
    } finally {
      process.env = saved;
    }
  });

  it('validates its flags', () => {
    expect(() => parseDemoArgs(['--records', '0'])).toThrow('--records must be an integer between 1 and 10000000 (got 0)');
    expect(() => parseDemoArgs(['--recrods', '5'])).toThrow(/unknown option --recrods/);
    expect(parseDemoArgs(['--no-reshard'])).toMatchObject({ reshard: false, handover: true, records: 20000 });
  });
});
