import { loadPeerDependency } from './peerDependency';

/** Label values of one sample. @public */
export type MetricLabels = Readonly<Record<string, string | number>>;

/** Definition shared by every metric kind. @public */
export interface MetricDefinition {
  /** Snake-case name without prefix, e.g. `producer_user_records_put_total`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

/** A monotonically increasing count. @public */
export interface Counter {
  add(value?: number, labels?: MetricLabels): void;
}

/** A value that goes up and down. @public */
export interface Gauge {
  set(value: number, labels?: MetricLabels): void;
  add(delta: number, labels?: MetricLabels): void;
}

/** A distribution of observations (latencies, sizes). @public */
export interface Histogram {
  observe(value: number, labels?: MetricLabels): void;
}

/**
 * The metrics seam. Components ask it for their instruments once, at construction; the default is
 * {@link createNoopMetrics}, {@link createPromMetrics} backs it onto a prom-client `Registry`, and
 * {@link MemoryMetrics} keeps values in memory for tests and summaries.
 * @public
 */
export interface Metrics {
  counter(definition: MetricDefinition): Counter;
  gauge(definition: MetricDefinition): Gauge;
  histogram(definition: MetricDefinition & { readonly buckets?: readonly number[] }): Histogram;
}

/** Metrics that record nothing. @public */
export function createNoopMetrics(): Metrics {
  const instrument = { add: () => undefined, set: () => undefined, observe: () => undefined };
  return { counter: () => instrument, gauge: () => instrument, histogram: () => instrument };
}

/** Options of {@link createPromMetrics}. @public */
export interface PromMetricsOptions {
  /** Prepended to every name. Default `shardline_`. */
  readonly prefix?: string;
}

/**
 * The part of a prom-client `Registry` that {@link createPromMetrics} uses: pass a
 * `new Registry()` of your own prom-client (declared structurally, so that these types need no
 * prom-client to compile).
 * @public
 */
export interface PromRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
  /** The registry's metrics in the Prometheus text format. */
  metrics(): Promise<string>;
}

/**
 * Metrics registered on a prom-client `Registry` (the caller's, never the global default).
 * Asking twice for the same name returns the same instrument, so several components can share
 * one registry.
 * @public
 */
export function createPromMetrics(registry: PromRegistry, options: PromMetricsOptions = {}): Metrics {
  // Loaded here, not at import: prom-client is an optional peer dependency, needed only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prom = loadPeerDependency(() => require('prom-client') as typeof import('prom-client'), 'prom-client', 'createPromMetrics');
  const registers = [registry as unknown as import('prom-client').Registry];
  const prefix = options.prefix ?? 'shardline_';
  function get<T>(name: string, make: () => T): T {
    return (registry.getSingleMetric(prefix + name) as T | undefined) ?? make();
  }
  return {
    counter(d) {
      const c = get(d.name, () => new prom.Counter({ name: prefix + d.name, help: d.help, labelNames: [...(d.labelNames ?? [])], registers }));
      return { add: (value = 1, labels) => (labels ? c.inc(labels, value) : c.inc(value)) };
    },
    gauge(d) {
      const g = get(d.name, () => new prom.Gauge({ name: prefix + d.name, help: d.help, labelNames: [...(d.labelNames ?? [])], registers }));
      return {
        set: (value, labels) => (labels ? g.set(labels, value) : g.set(value)),
        add: (delta, labels) => (labels ? g.inc(labels, delta) : g.inc(delta)),
      };
    },
    histogram(d) {
      const h = get(d.name, () => new prom.Histogram({ name: prefix + d.name, help: d.help, labelNames: [...(d.labelNames ?? [])], ...(d.buckets ? { buckets: [...d.buckets] } : {}), registers }));
      return { observe: (value, labels) => (labels ? h.observe(labels, value) : h.observe(value)) };
    },
  };
}

function seriesKey(name: string, labels?: MetricLabels): string {
  if (!labels) return name;
  const keys = Object.keys(labels).sort();
  return keys.length ? `${name}{${keys.map((k) => `${k}=${String(labels[k])}`).join(',')}}` : name;
}

/**
 * In-memory metrics: counters and gauges keep their value, histograms their count and sum.
 * Read with {@link MemoryMetrics.value} (one series) or {@link MemoryMetrics.total} (all series).
 * @public
 */
export class MemoryMetrics implements Metrics {
  private readonly values = new Map<string, { name: string; value: number; count: number }>();

  private series(name: string, labels?: MetricLabels): { name: string; value: number; count: number } {
    const key = seriesKey(name, labels);
    let s = this.values.get(key);
    if (!s) this.values.set(key, (s = { name, value: 0, count: 0 }));
    return s;
  }

  counter(d: MetricDefinition): Counter {
    return { add: (value = 1, labels) => void (this.series(d.name, labels).value += value) };
  }

  gauge(d: MetricDefinition): Gauge {
    return {
      set: (value, labels) => void (this.series(d.name, labels).value = value),
      add: (delta, labels) => void (this.series(d.name, labels).value += delta),
    };
  }

  histogram(d: MetricDefinition): Histogram {
    return {
      observe: (value, labels) => {
        const s = this.series(d.name, labels);
        s.value += value;
        s.count += 1;
      },
    };
  }

  /** The value (histograms: the sum) of one series; 0 when never written. */
  value(name: string, labels?: MetricLabels): number {
    return this.values.get(seriesKey(name, labels))?.value ?? 0;
  }

  /** The number of observations of one histogram series. */
  count(name: string, labels?: MetricLabels): number {
    return this.values.get(seriesKey(name, labels))?.count ?? 0;
  }

  /** The sum over every label set of a metric. */
  total(name: string): number {
    let sum = 0;
    for (const s of this.values.values()) if (s.name === name) sum += s.value;
    return sum;
  }

  /** Every series as `name{labels}` → value. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.values].map(([k, s]) => [k, s.value]));
  }
}
