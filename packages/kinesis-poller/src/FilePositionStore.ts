import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { booleanOption, type ExtendedSequenceNumber, ProtocolError, rejectUnknownOptions, requiredString, ShardlineError, ShutdownError } from '@shardline/core';
import { CoalescedTask } from './CoalescedTask';
import { fromStoredPosition, type PositionStore, type StoredPosition, toStoredPosition } from './PositionStore';

/** Options of {@link FilePositionStore}. @public */
export interface FilePositionStoreOptions {
  /** The JSON file; created (with its directory) on the first save. */
  readonly path: string;
  /** fsync the file and its directory on every write, so a save survives a power loss. Default true. */
  readonly fsync?: boolean;
}

/** The file's layout. */
interface PositionFile {
  readonly version: 1;
  readonly namespaces: Record<string, Record<string, StoredPosition>>;
}

const TRANSIENT_FS_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'EINTR', 'EIO']);

function storeError(message: string, cause: unknown): ShardlineError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new ShardlineError('SHARDLINE_POSITION_STORE', `${message}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
    retryable: typeof code === 'string' && TRANSIENT_FS_CODES.has(code),
  });
}

/**
 * Positions in a JSON file, for a single process. Every save rewrites the whole file atomically:
 * write a temporary file beside it, fsync, rename over the old one, fsync the directory — a crash
 * leaves either the old or the new file, never a torn one. Concurrent saves are serialized and
 * coalesced into one write. Two processes must not share a file (each would overwrite the
 * other's positions); use {@link DynamoDbPositionStore} for that.
 * @public
 */
export class FilePositionStore implements PositionStore {
  /** The file's absolute path. */
  readonly path: string;
  private readonly fsync: boolean;
  private data: Record<string, Record<string, StoredPosition>> | undefined;
  private loading: Promise<void> | undefined;
  private readonly writer = new CoalescedTask(() => this.writeFile());
  private closed = false;

  constructor(options: FilePositionStoreOptions | string) {
    const o = typeof options === 'string' ? { path: options } : options;
    rejectUnknownOptions('filePositionStore', o, ['path', 'fsync']);
    this.path = path.resolve(requiredString('filePositionStore.path', o.path));
    this.fsync = booleanOption('filePositionStore.fsync', o.fsync, true);
  }

  async load(namespace: string): Promise<ReadonlyMap<string, ExtendedSequenceNumber>> {
    this.check();
    await this.ensureLoaded();
    const ns = this.data![namespace] ?? {};
    return new Map(Object.entries(ns).map(([shardId, p]) => [shardId, fromStoredPosition(p, `${this.path}: ${namespace}/${shardId}`)]));
  }

  async save(namespace: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    this.check();
    await this.ensureLoaded();
    const ns = (this.data![namespace] ??= {});
    for (const [shardId, position] of positions) ns[shardId] = toStoredPosition(position);
    return this.writer.run();
  }

  /** Waits for pending writes, then refuses further calls. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writer.idle();
  }

  private check(): void {
    if (this.closed) throw new ShutdownError(`FilePositionStore ${this.path} is closed`);
  }

  private ensureLoaded(): Promise<void> {
    if (this.data) return Promise.resolve();
    return (this.loading ??= this.readFile().finally(() => (this.loading = undefined)));
  }

  private async readFile(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') {
        this.data = {};
        return;
      }
      throw storeError(`cannot read position file ${this.path}`, error);
    }
    let parsed: PositionFile;
    try {
      parsed = JSON.parse(text) as PositionFile;
    } catch (cause) {
      throw new ProtocolError(`position file ${this.path} is not valid JSON`, { cause });
    }
    if (parsed === null || typeof parsed !== 'object' || parsed.version !== 1 || typeof parsed.namespaces !== 'object' || parsed.namespaces === null) {
      throw new ProtocolError(`position file ${this.path} is not a version 1 position file`);
    }
    this.data = parsed.namespaces;
  }

  private async writeFile(): Promise<void> {
    const body = JSON.stringify({ version: 1, namespaces: this.data ?? {} } satisfies PositionFile, null, 1) + '\n';
    const dir = path.dirname(this.path);
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.mkdir(dir, { recursive: true });
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.writeFile(body, 'utf8');
        if (this.fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, this.path);
    } catch (error) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw storeError(`cannot write position file ${this.path}`, error);
    }
    if (this.fsync) await syncDirectory(dir);
  }
}

/** fsync a directory so a rename in it is durable; platforms that cannot (Windows) are skipped. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw storeError(`cannot sync directory ${dir}`, error);
  } finally {
    await handle?.close();
  }
}
