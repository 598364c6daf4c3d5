import { BufferBudget, type BudgetWaiter } from './BufferBudget';

function waiter(sizeBytes: number, name: string): BudgetWaiter & { name: string } {
  return { sizeBytes, waitCancelled: false, name };
}

describe('BufferBudget', () => {
  it('admits up to both limits, then serves waiters first come first served', () => {
    const served: string[] = [];
    const budget = new BufferBudget<ReturnType<typeof waiter>>(3, 100, (w) => served.push(w.name));
    expect(budget.tryTake(40)).toBe(true);
    expect(budget.tryTake(40)).toBe(true);
    expect(budget.tryTake(40)).toBe(false);
    budget.enqueue(waiter(40, 'big'));
    // Fits by size, but must not overtake the waiter ahead of it.
    expect(budget.tryTake(10)).toBe(false);
    budget.enqueue(waiter(10, 'small'));
    expect(budget.waiting).toBe(2);
    budget.release(1, 40);
    expect(served).toEqual(['big', 'small']);
    expect(budget.records).toBe(3);
    expect(budget.bytes).toBe(90);
  });

  it('always admits one record into an empty buffer', () => {
    const budget = new BufferBudget(10, 100, () => undefined);
    expect(budget.tryTake(1000)).toBe(true);
    expect(budget.tryTake(1)).toBe(false);
  });

  it('skips cancelled waiters and hands back the rest on drain', () => {
    const served: string[] = [];
    const budget = new BufferBudget<ReturnType<typeof waiter>>(1, 100, (w) => served.push(w.name));
    budget.tryTake(1);
    const a = waiter(1, 'a');
    const b = waiter(1, 'b');
    const c = waiter(1, 'c');
    budget.enqueue(a);
    budget.enqueue(b);
    budget.enqueue(c);
    budget.cancel(a);
    expect(budget.waiting).toBe(2);
    budget.release(1, 1);
    expect(served).toEqual(['b']);
    expect(budget.drainWaiters()).toEqual([c]);
    expect(budget.waiting).toBe(0);
  });
});
