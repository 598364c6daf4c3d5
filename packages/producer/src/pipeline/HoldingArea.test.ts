import { HoldingArea } from './HoldingArea';

describe('HoldingArea', () => {
  const item = (id: string, expiresAt: number): { id: string; expiresAt: number } => ({ id, expiresAt });

  it('releases what expired, oldest first, and reports the next expiry of what it keeps', () => {
    const area = new HoldingArea<{ id: string; expiresAt: number }>();
    area.add(item('a', 10));
    area.add(item('b', 30));
    area.add(item('c', 5));
    const due: string[] = [];
    expect(area.releaseExpired(10, (i) => due.push(i.id))).toBe(30);
    expect(due).toEqual(['a', 'c']);
    expect(area.size).toBe(1);
    expect(area.releaseExpired(11, () => undefined)).toBe(30);
  });

  it('keeps what `due` adds while it releases, after the kept items (arrival order)', () => {
    const area = new HoldingArea<{ id: string; expiresAt: number }>();
    area.add(item('old', 1));
    area.add(item('kept', 50));
    const next = area.releaseExpired(1, () => area.add(item('added', 20)));
    expect(next).toBe(20);
    expect(area.takeAll().map((i) => i.id)).toEqual(['kept', 'added']);
    expect(area.size).toBe(0);
  });

  it('is free when empty', () => {
    const area = new HoldingArea<{ id: string; expiresAt: number }>();
    expect(area.releaseExpired(100, () => fail('nothing is due'))).toBe(Infinity);
  });
});
