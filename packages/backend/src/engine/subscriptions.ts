/**
 * The subscription manager: which live query results does a commit invalidate?
 *
 * A subscription is a read set (half-open key intervals per index id) taken at a timestamp. After
 * every commit, `advance` matches the commit's written index keys against every subscription's
 * intervals through one interval index per database index, so the work is proportional to
 * writes × log(subscriptions), never to the number of subscriptions (convex-backend
 * `crates/database/src/subscription.rs` works the same way).
 *
 * A subscription fires at most once: when a commit at `ts` > its own timestamp writes a key inside
 * one of its intervals, its callback runs with that `ts` and it leaves the index. The layer above
 * re-runs the query and subscribes the new read set.
 *
 * The manager also keeps the write sets of recent commits, so a read set taken at a timestamp
 * older than the last processed commit can still be checked against what happened since.
 */
import type { KeyInterval, Timestamp } from "../storage/persistence.js";
import { compareKeys } from "../values/index-key.js";
import type { IndexWrites } from "./read-set.js";

/** What a subscription needs from a read set (`ReadSet` satisfies it). */
export interface SubscribableReadSet {
  indexIds(): Iterable<string>;
  intervals(indexId: string): KeyInterval[];
}

/**
 * One commit, as the manager needs it: its timestamp and every index key it wrote (the engine's
 * `CommittedWrite` satisfies it).
 */
export interface CommitWrites {
  readonly ts: Timestamp;
  readonly indexWrites: IndexWrites;
}

/** A live subscription handle. */
export interface Subscription {
  /** The timestamp the read set was taken at. */
  readonly ts: Timestamp;
  /** The commit timestamp that invalidated it, or null while it is valid. */
  readonly invalidatedAt: Timestamp | null;
  /** Removes the subscription; its callback never runs afterwards. Idempotent. */
  unsubscribe(): void;
}

export interface SubscriptionManagerOptions {
  /** Commits at or before this timestamp are considered processed. */
  readonly initialTs: Timestamp;
  /**
   * How many recent commits to keep for checking read sets taken in the past. A read set older
   * than the oldest kept commit is invalidated at once (conservative, never wrong).
   */
  readonly retainedCommits?: number | undefined;
}

// Enough to cover every commit that can land while a batch of queries re-runs, at thousands of
// commits per second, while the retained write sets stay a few megabytes.
const DEFAULT_RETAINED_COMMITS = 4096;

interface Sub extends Subscription {
  invalidatedAt: Timestamp | null;
  readonly onInvalidate: (ts: Timestamp) => void;
  /** Index nodes to remove on invalidation or unsubscribe. */
  readonly entries: { tree: IntervalIndex; node: IntervalNode }[];
  active: boolean;
}

/**
 * Tracks subscriptions and invalidates them as commits are processed. Not thread-safe (nothing in
 * Node is); `advance` must be called once per commit, in increasing `ts` order.
 */
export class SubscriptionManager {
  readonly #trees = new Map<string, IntervalIndex>();
  readonly #recent: CommitWrites[] = [];
  readonly #retained: number;
  #processedTs: Timestamp;
  /** Commits at or before this timestamp are no longer in `#recent`. */
  #forgottenTs: Timestamp;
  #size = 0;

  constructor(options: SubscriptionManagerOptions) {
    this.#processedTs = options.initialTs;
    this.#forgottenTs = options.initialTs;
    this.#retained = options.retainedCommits ?? DEFAULT_RETAINED_COMMITS;
  }

  /** The timestamp of the last commit processed by `advance` (or the initial one). */
  get processedTs(): Timestamp {
    return this.#processedTs;
  }

  /** The number of live subscriptions. */
  get size(): number {
    return this.#size;
  }

  /**
   * Subscribes `readSet` taken at `ts`. `onInvalidate(commitTs)` runs once, synchronously inside
   * `advance` (or inside this call, when a processed commit after `ts` already overlaps, or when
   * `ts` is too old to check), after which the subscription is gone. Intervals are copied: later
   * changes to `readSet` have no effect.
   */
  subscribe(
    readSet: SubscribableReadSet,
    ts: Timestamp,
    onInvalidate: (commitTs: Timestamp) => void,
  ): Subscription {
    const sub: Sub = {
      ts,
      invalidatedAt: null,
      onInvalidate,
      entries: [],
      active: true,
      unsubscribe: () => this.#remove(sub),
    };
    const missed = this.#missedInvalidation(readSet, ts);
    if (missed !== null) {
      sub.active = false;
      sub.invalidatedAt = missed;
      onInvalidate(missed);
      return sub;
    }
    for (const indexId of readSet.indexIds()) {
      const intervals = readSet.intervals(indexId);
      if (intervals.length === 0) continue;
      let tree = this.#trees.get(indexId);
      if (tree === undefined) {
        tree = new IntervalIndex();
        this.#trees.set(indexId, tree);
      }
      for (const interval of intervals) {
        sub.entries.push({ tree, node: tree.insert(interval, sub) });
      }
    }
    this.#size++;
    return sub;
  }

  /**
   * Processes one commit: every subscription with an interval containing a written key, taken at
   * a timestamp before `commit.ts`, is invalidated at `commit.ts`. Commits at or before the last
   * processed timestamp are ignored.
   */
  advance(commit: CommitWrites): void {
    if (commit.ts <= this.#processedTs) return;
    this.#processedTs = commit.ts;
    this.#remember(commit);
    const hit = new Set<Sub>();
    for (const [indexId, keys] of commit.indexWrites) {
      const tree = this.#trees.get(indexId);
      if (tree === undefined) continue;
      for (const write of keys) {
        tree.stab(write.key, (sub) => {
          if (sub.ts < commit.ts) hit.add(sub);
        });
      }
    }
    for (const sub of hit) {
      if (!sub.active) continue;
      this.#remove(sub);
      sub.invalidatedAt = commit.ts;
      sub.onInvalidate(commit.ts);
    }
  }

  #remember(commit: CommitWrites): void {
    // Keep only what matching needs, not the documents a `CommittedWrite` also carries.
    this.#recent.push({ ts: commit.ts, indexWrites: commit.indexWrites });
    while (this.#recent.length > this.#retained) {
      this.#forgottenTs = this.#recent.shift()!.ts;
    }
  }

  /** The first processed commit after `ts` that overlaps `readSet`, or null. */
  #missedInvalidation(
    readSet: SubscribableReadSet,
    ts: Timestamp,
  ): Timestamp | null {
    if (ts >= this.#processedTs) return null;
    if (ts < this.#forgottenTs) return this.#processedTs;
    for (const commit of this.#recent) {
      if (commit.ts <= ts) continue;
      for (const [indexId, keys] of commit.indexWrites) {
        const intervals = readSet.intervals(indexId);
        if (intervals.length === 0) continue;
        if (keys.some((w) => intervals.some((i) => contains(i, w.key))))
          return commit.ts;
      }
    }
    return null;
  }

  #remove(sub: Sub): void {
    if (!sub.active) return;
    sub.active = false;
    for (const { tree, node } of sub.entries) tree.remove(node);
    sub.entries.length = 0;
    this.#size--;
  }
}

function contains(interval: KeyInterval, key: Uint8Array): boolean {
  return (
    compareKeys(interval.start, key) <= 0 &&
    (interval.end === null || compareKeys(key, interval.end) < 0)
  );
}

interface IntervalNode {
  readonly start: Uint8Array;
  readonly end: Uint8Array | null;
  readonly owner: Sub;
  /** Tie-breaker among equal starts, so every node has a distinct position. */
  readonly seq: number;
  readonly priority: number;
  left: IntervalNode | null;
  right: IntervalNode | null;
  /** The largest `end` in this subtree (`null` = unbounded). */
  maxEnd: Uint8Array | null;
}

/** `a` is at least `b` as interval ends, where null is +infinity. */
function endAtLeast(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return compareKeys(a, b) >= 0;
}

/**
 * An interval tree: a treap ordered by `(start, seq)`, each node augmented with the largest end
 * in its subtree. Insert and remove take O(log n) expected time; a stabbing query takes
 * O(log n + k) for k results.
 */
class IntervalIndex {
  #root: IntervalNode | null = null;
  #seq = 0;
  // Treap priorities only balance the tree; a fixed-seed xorshift keeps runs reproducible.
  #random = 0x9e3779b9;

  insert(interval: KeyInterval, owner: Sub): IntervalNode {
    const node: IntervalNode = {
      start: interval.start,
      end: interval.end,
      owner,
      seq: this.#seq++,
      priority: this.#nextPriority(),
      left: null,
      right: null,
      maxEnd: interval.end,
    };
    this.#root = insertNode(this.#root, node);
    return node;
  }

  #nextPriority(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x >>> 0;
    return this.#random;
  }

  remove(node: IntervalNode): void {
    this.#root = removeNode(this.#root, node);
  }

  /** Calls `visit(owner)` for every interval containing `key`. */
  stab(key: Uint8Array, visit: (owner: Sub) => void): void {
    const stack: IntervalNode[] = [];
    if (this.#root !== null) stack.push(this.#root);
    while (stack.length > 0) {
      const node = stack.pop()!;
      // Nothing in this subtree ends after `key`: no interval can contain it.
      if (node.maxEnd !== null && compareKeys(node.maxEnd, key) <= 0) continue;
      if (node.left !== null) stack.push(node.left);
      if (compareKeys(node.start, key) <= 0) {
        if (node.end === null || compareKeys(key, node.end) < 0)
          visit(node.owner);
        if (node.right !== null) stack.push(node.right);
      }
    }
  }
}

function compareNodes(a: IntervalNode, b: IntervalNode): number {
  return compareKeys(a.start, b.start) || a.seq - b.seq;
}

function update(node: IntervalNode): IntervalNode {
  let maxEnd = node.end;
  if (node.left !== null && !endAtLeast(maxEnd, node.left.maxEnd))
    maxEnd = node.left.maxEnd;
  if (node.right !== null && !endAtLeast(maxEnd, node.right.maxEnd))
    maxEnd = node.right.maxEnd;
  node.maxEnd = maxEnd;
  return node;
}

function insertNode(
  root: IntervalNode | null,
  node: IntervalNode,
): IntervalNode {
  if (root === null) return node;
  if (compareNodes(node, root) < 0) {
    root.left = insertNode(root.left, node);
    if (root.left.priority > root.priority) return rotateRight(root);
  } else {
    root.right = insertNode(root.right, node);
    if (root.right.priority > root.priority) return rotateLeft(root);
  }
  return update(root);
}

function removeNode(
  root: IntervalNode | null,
  node: IntervalNode,
): IntervalNode | null {
  if (root === null) return null;
  if (root === node) return merge(root.left, root.right);
  if (compareNodes(node, root) < 0) root.left = removeNode(root.left, node);
  else root.right = removeNode(root.right, node);
  return update(root);
}

function merge(
  a: IntervalNode | null,
  b: IntervalNode | null,
): IntervalNode | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return update(a);
  }
  b.left = merge(a, b.left);
  return update(b);
}

function rotateRight(root: IntervalNode): IntervalNode {
  const pivot = root.left!;
  root.left = pivot.right;
  pivot.right = update(root);
  return update(pivot);
}

function rotateLeft(root: IntervalNode): IntervalNode {
  const pivot = root.right!;
  root.right = pivot.left;
  pivot.left = update(root);
  return update(pivot);
}
