// Preloaded into a benchmarked server (`node -r ./bench/support/loop-monitor.cjs …`) to measure
// event-loop stalls from inside without touching the service's code. On SIGUSR2 it writes what it
// saw since the previous signal to $BENCH_LOOP_STATS_FILE and starts over.
'use strict';
const fs = require('node:fs');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const file = process.env.BENCH_LOOP_STATS_FILE;
if (file) {
  const TICK_MS = 5;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let last = performance.now();
  let maxGapMs = 0;
  // A timer due every 5 ms: anything beyond that between two ticks is time the loop was blocked.
  setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last - TICK_MS);
    last = now;
  }, TICK_MS).unref();
  process.on('SIGUSR2', () => {
    const stats = {
      at: Date.now(),
      maxStallMs: Math.max(maxGapMs, histogram.max / 1e6 - 5),
      p99DelayMs: histogram.percentile(99) / 1e6,
      meanDelayMs: histogram.mean / 1e6,
      rssBytes: process.memoryUsage.rss(),
    };
    // Written whole, then renamed: the reader never sees half a file.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(stats));
    fs.renameSync(`${file}.tmp`, file);
    histogram.reset();
    maxGapMs = 0;
    last = performance.now();
  });
}
