import { ExtendedSequenceNumber, type HashKeyRange } from '@shardline/core';
import { resolveStartingPosition, type StartingPosition } from './StartingPosition';

/**
 * Where a shard of the poller stands:
 * - `waiting`: to be read once all its parents are finished;
 * - `reading`: a reader is running;
 * - `finished`: read to its end and handled (or its stored position is SHARD_END);
 * - `skipped`: closed and before the starting position (LATEST), so never read;
 * - `failed`: its loop stopped on an error; its children never start;
 * - `stopped`: the poller stopped while it was being read.
 * @public
 */
export type ShardState = 'waiting' | 'reading' | 'finished' | 'skipped' | 'failed' | 'stopped';

/** What the graph needs to know of a shard. @public */
export interface ShardLineage {
  readonly shardId: string;
  /** Parent and adjacent parent (merge), as ListShards or ChildShards report them. */
  readonly parentShardIds: readonly string[];
  /** False when the shard is closed (has an ending sequence number). Unknown counts as open. */
  readonly open?: boolean;
  readonly range?: HashKeyRange;
}

/** One shard tracked by a {@link ShardGraph}. @public */
export interface ShardNode {
  readonly shardId: string;
  /** The parents the poller reads too (parents outside the tracked set are not waited for). */
  readonly parents: readonly string[];
  readonly range: HashKeyRange | undefined;
  /** Where its reader starts. */
  readonly start: StartingPosition;
  state: ShardState;
}

/** Inputs to {@link ShardGraph.plan}. @public */
export interface ShardPlanInput {
  /** Every shard ListShards reported, open and closed. */
  readonly shards: readonly ShardLineage[];
  /** Stored positions by shard id. */
  readonly stored: ReadonlyMap<string, ExtendedSequenceNumber>;
  /** Starting position of a shard with no stored position and no tracked parent. */
  readonly initialPosition: (shardId: string) => StartingPosition;
  /** Read only these shards (and, with `followChildShards`, their descendants). Default: all. */
  readonly shardIds?: readonly string[];
  /** Read the descendants of the selected shards. Default true. */
  readonly followChildShards?: boolean;
}

/**
 * The shards of a stream the poller reads, their lineage, and the rule that a child is read only
 * after every parent it has in the set was read to its end (the KCL's BlockOnParentShard).
 *
 * Planning, per shard (parents first):
 * - a stored position wins: SHARD_END → finished, else resume after it;
 * - a shard with a parent that will be read is a descendant: it starts at TRIM_HORIZON, after its
 *   parents, so that nothing between the parents' ends and its beginning is missed;
 * - any other shard is a root and starts at the initial position; a closed root under LATEST is
 *   skipped, since it can produce nothing new.
 * @public
 */
export class ShardGraph {
  private readonly nodes = new Map<string, ShardNode>();
  private readonly selection: ReadonlySet<string> | undefined;
  private readonly followChildShards: boolean;

  constructor(options: { readonly shardIds?: readonly string[]; readonly followChildShards?: boolean } = {}) {
    this.selection = options.shardIds ? new Set(options.shardIds) : undefined;
    this.followChildShards = options.followChildShards ?? true;
  }

  /** Every tracked shard. */
  get shards(): ReadonlyMap<string, ShardNode> {
    return this.nodes;
  }

  /** The graph for a fresh start; see the class description for the rules. */
  static plan(input: ShardPlanInput): ShardGraph {
    const graph = new ShardGraph({ shardIds: input.shardIds, followChildShards: input.followChildShards });
    const byId = new Map(input.shards.map((s) => [s.shardId, s]));
    const tracked = graph.trackedSet(input.shards, byId);
    for (const shard of parentsFirst(input.shards.filter((s) => tracked.has(s.shardId)))) {
      // A parent still unplanned here is on a lineage cycle (bad input): it is not waited for.
      const parents = shard.parentShardIds.filter((p) => graph.nodes.has(p));
      graph.nodes.set(shard.shardId, graph.planNode(shard, parents, input.stored, input.initialPosition));
    }
    return graph;
  }

  private trackedSet(shards: readonly ShardLineage[], byId: ReadonlyMap<string, ShardLineage>): Set<string> {
    if (!this.selection) return new Set(shards.map((s) => s.shardId));
    const tracked = new Set([...this.selection].filter((id) => byId.has(id)));
    if (!this.followChildShards) return tracked;
    // Descendants of selected shards, to a fixed point (a merge child may have one selected parent).
    for (let grew = true; grew;) {
      grew = false;
      for (const s of shards) {
        if (!tracked.has(s.shardId) && s.parentShardIds.some((p) => tracked.has(p))) {
          tracked.add(s.shardId);
          grew = true;
        }
      }
    }
    return tracked;
  }

  private planNode(shard: ShardLineage, parents: string[], stored: ReadonlyMap<string, ExtendedSequenceNumber>, initialPosition: (shardId: string) => StartingPosition): ShardNode {
    const base = { shardId: shard.shardId, parents, range: shard.range };
    const position = stored.get(shard.shardId);
    if (position) return { ...base, start: position, state: position.equals(ExtendedSequenceNumber.SHARD_END) ? 'finished' : 'waiting' };
    if (parents.some((p) => this.nodes.get(p)!.state !== 'skipped')) return { ...base, start: 'TRIM_HORIZON', state: 'waiting' };
    const start = initialPosition(shard.shardId);
    const skip = resolveStartingPosition(start, `startingPosition(${shard.shardId})`).type === 'LATEST' && shard.open === false;
    return { ...base, start, state: skip ? 'skipped' : 'waiting' };
  }

  /**
   * Adds a shard found after the start (a child at shard end, or a periodic ListShards). Returns
   * the new node, or undefined when it is already known or outside the selection. A new shard
   * starts at TRIM_HORIZON (or its stored position): everything in it is new to this poller.
   */
  add(shard: ShardLineage, stored?: ExtendedSequenceNumber): ShardNode | undefined {
    if (this.nodes.has(shard.shardId)) return undefined;
    const parents = shard.parentShardIds.filter((p) => this.nodes.has(p));
    if (this.selection && !this.selection.has(shard.shardId) && !(this.followChildShards && parents.length > 0)) return undefined;
    const finished = stored?.equals(ExtendedSequenceNumber.SHARD_END) ?? false;
    const node: ShardNode = { shardId: shard.shardId, parents, range: shard.range, start: stored ?? 'TRIM_HORIZON', state: finished ? 'finished' : 'waiting' };
    this.nodes.set(shard.shardId, node);
    return node;
  }

  /** Shards whose parents are all finished (or skipped), in the order they were added. */
  ready(): ShardNode[] {
    const out: ShardNode[] = [];
    for (const node of this.nodes.values()) {
      if (node.state !== 'waiting') continue;
      if (node.parents.every((p) => this.isDone(p))) out.push(node);
    }
    return out;
  }

  /** Children known for `shardId`. */
  childrenOf(shardId: string): ShardNode[] {
    return [...this.nodes.values()].filter((n) => n.parents.includes(shardId));
  }

  /** Moves a shard to a new state. */
  setState(shardId: string, state: ShardState): void {
    const node = this.nodes.get(shardId);
    if (node) node.state = state;
  }

  private isDone(shardId: string): boolean {
    const state = this.nodes.get(shardId)?.state;
    return state === undefined || state === 'finished' || state === 'skipped';
  }
}

/**
 * `shards` ordered so that each comes after those of its parents that are in the list, whatever
 * order ListShards returned them in; a lineage cycle (bad input) is cut where it is met.
 * @internal
 */
export function parentsFirst(shards: readonly ShardLineage[]): ShardLineage[] {
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const seen = new Set<string>();
  const out: ShardLineage[] = [];
  const visit = (shard: ShardLineage): void => {
    if (seen.has(shard.shardId)) return;
    seen.add(shard.shardId);
    for (const p of shard.parentShardIds) {
      const parent = byId.get(p);
      if (parent) visit(parent);
    }
    out.push(shard);
  };
  for (const shard of shards) visit(shard);
  return out;
}
