import type { Counter, Gauge, Histogram, LogFn, Logger, Metrics } from '@shardline/core';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * The injected logger, made unable to throw into the pipeline: a log call happens in the middle of
 * settling records, and a sink that throws there must not leave records unsettled. The first
 * failure is reported once as a process warning (the logger cannot report its own failure).
 * @internal
 */
export function guardLogger(logger: Logger): Logger {
  let warned = false;
  const report = (error: unknown): void => {
    if (warned) return;
    warned = true;
    process.emitWarning(`the logger given to the producer threw (${error instanceof Error ? error.message : String(error)}); its lines are dropped`, { code: 'SHARDLINE_LOGGER_FAILED' });
  };
  const wrap = (inner: Logger): Logger => {
    const guarded = {} as Record<(typeof LOG_LEVELS)[number], LogFn>;
    for (const level of LOG_LEVELS) {
      guarded[level] = (...args: unknown[]) => {
        try {
          (inner[level] as (...a: unknown[]) => void)(...args);
        } catch (error) {
          report(error);
        }
      };
    }
    return {
      ...guarded,
      child: (bindings) => {
        try {
          return wrap(inner.child(bindings));
        } catch (error) {
          report(error);
          return wrap(inner);
        }
      },
    };
  };
  return wrap(logger);
}

/**
 * The injected metrics, made unable to throw into the pipeline: an instrument is updated while
 * records are settled, and one that throws must not change what happens to them. The first failure
 * of each instrument is logged; the instrument is then kept, so that a backend that recovers counts
 * again.
 * @internal
 */
export function guardMetrics(metrics: Metrics, logger: Logger): Metrics {
  const reported = new Set<string>();
  const report = (name: string, error: unknown): void => {
    if (reported.has(name)) return;
    reported.add(name);
    logger.error({ err: error, metric: name }, 'a metrics instrument threw; the producer goes on without it');
  };
  const call = (name: string, update: () => void): void => {
    try {
      update();
    } catch (error) {
      report(name, error);
    }
  };
  return {
    counter: (definition) => {
      const c: Counter = metrics.counter(definition);
      return { add: (value, labels) => call(definition.name, () => c.add(value, labels)) };
    },
    gauge: (definition) => {
      const g: Gauge = metrics.gauge(definition);
      return { set: (value, labels) => call(definition.name, () => g.set(value, labels)), add: (delta, labels) => call(definition.name, () => g.add(delta, labels)) };
    },
    histogram: (definition) => {
      const h: Histogram = metrics.histogram(definition);
      return { observe: (value, labels) => call(definition.name, () => h.observe(value, labels)) };
    },
  };
}
