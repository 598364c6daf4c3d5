/**
 * Fault injection at the SDK middleware seam: the real client talks to a real emulator, and a
 * middleware in front of it can fail, delay or rewrite chosen calls. Tests never replace the client.
 */

/** What a fault rule sees of one call. */
export interface FaultContext {
  /** The SDK command name, e.g. `PutRecordsCommand`. */
  readonly commandName: string;
  /** The command input (may be read; mutate only if you mean to). */
  readonly input: Record<string, unknown>;
  /** 1-based count of calls of this command seen by this injector. */
  readonly call: number;
}

/** A fault rule: runs around every call of the client. */
export interface FaultRule {
  /** Before the request: throw to fail the call, await to delay it. */
  before?(context: FaultContext): void | Promise<void>;
  /** After a successful response: return a replacement output (e.g. with partial failures). */
  after?(context: FaultContext, output: Record<string, unknown>): Record<string, unknown> | void | Promise<Record<string, unknown> | void>;
}

/** Handle returned by {@link injectFaults}. */
export interface FaultInjector {
  /** Calls seen so far, by command name. */
  readonly calls: ReadonlyMap<string, number>;
  /** Removes the middleware. */
  remove(): void;
}

interface MiddlewareClient {
  middlewareStack: {
    // A method, so that the SDK's overloaded add() (one overload per step) is accepted for this one use.
    add(middleware: unknown, options: { step: 'initialize'; name: string; priority: 'high' }): void;
    remove(name: string): boolean;
  };
}

let injectorCount = 0;

/** Adds a fault-injecting middleware to an SDK v3 client (Kinesis or DynamoDB). */
export function injectFaults(client: MiddlewareClient, rule: FaultRule): FaultInjector {
  const calls = new Map<string, number>();
  const name = `shardlineFaults${++injectorCount}`;
  const middleware =
    (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) => async (args: { input: Record<string, unknown> }) => {
      const commandName = context.commandName ?? 'Unknown';
      const call = (calls.get(commandName) ?? 0) + 1;
      calls.set(commandName, call);
      const ctx: FaultContext = { commandName, input: args.input, call };
      await rule.before?.(ctx);
      const result = await next(args);
      const replaced = await rule.after?.(ctx, result.output);
      return replaced ? { ...result, output: replaced } : result;
    };
  client.middlewareStack.add(middleware, { step: 'initialize', name, priority: 'high' });
  return { calls, remove: () => void client.middlewareStack.remove(name) };
}

/**
 * An error shaped like the SDK's service exceptions (`name`, `$fault`, `$metadata`), for rules that
 * simulate a service-side failure. Prefer the SDK's own exception classes where they exist.
 */
export function serviceError(name: string, message = name, options: { fault?: 'client' | 'server'; httpStatusCode?: number } = {}): Error {
  const error = new Error(message) as Error & { $fault: string; $metadata: object };
  error.name = name;
  error.$fault = options.fault ?? 'client';
  error.$metadata = { httpStatusCode: options.httpStatusCode ?? (options.fault === 'server' ? 500 : 400) };
  return error;
}

/** A Node network error (`ECONNRESET`, `ETIMEDOUT`, …), as the HTTP handler would throw it. */
export function networkError(code: string): Error {
  const error = new Error(`socket error ${code}`) as Error & { code: string };
  error.code = code;
  return error;
}
