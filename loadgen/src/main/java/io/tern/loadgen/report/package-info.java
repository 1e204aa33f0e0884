/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
/**
 * Reports: the per-second progress and interval log ({@link io.tern.loadgen.report.IntervalReporter}), the summary
 * in text and JSON ({@link io.tern.loadgen.report.RunSummary}), HdrHistogram {@code .hgrm} files
 * ({@link io.tern.loadgen.report.HgrmFile}) and interval logs read back ({@link io.tern.loadgen.report.HlogFile}),
 * and charts of latency by percentile and over time ({@link io.tern.loadgen.report.LatencyChart},
 * {@link io.tern.loadgen.report.PlotCommand}).
 * <p>
 * All on the run's calling thread (or the {@code plot} command's), never on the sending or receiving path. The
 * interval reporter is the only thread that swaps the recorders' interval histograms.
 */
package io.tern.loadgen.report;
