/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.report;

import io.tern.loadgen.client.LatencyRecording;
import io.tern.loadgen.client.LoadCounters;
import io.tern.loadgen.workload.Schedule;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.SingleWriterRecorder;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The reporter: once a second (and at the phase boundaries) swaps an interval histogram out of each recorder,
 * adds it to the run's totals, appends it to the interval log and prints one progress line.
 * <p>
 * The interval log is HdrHistogram's standard {@code .hlog} ({@link HistogramLogWriter}), values in nanoseconds:
 * the corrected histogram untagged, the others tagged {@code uncorrected} and {@code send-lag}, so
 * {@code HistogramLogProcessor} reads the corrected ones by default and the others with {@code -tag}.
 * <p>
 * Runs on the run's thread only. Interval histograms are recycled through
 * {@link SingleWriterRecorder#getIntervalHistogram(Histogram)}, so steady-state reporting allocates only the text
 * it prints.
 */
public final class IntervalReporter
{
    private static final long NS_PER_SECOND = 1_000_000_000L;

    private final LatencyRecording recording;
    private final LoadCounters counters;
    private final Schedule schedule;
    private final PrintStream out;
    private final boolean quiet;
    private final HistogramLogWriter logWriter;
    private final long totalNs;

    private final Histogram totalCorrected = LatencyRecording.newHistogram();
    private final Histogram totalUncorrected = LatencyRecording.newHistogram();
    private final Histogram totalSendLag = LatencyRecording.newHistogram();
    private Histogram intervalCorrected;
    private Histogram intervalUncorrected;
    private Histogram intervalSendLag;
    private final Histogram[] dropped = new Histogram[3];

    private long lastTickNs;
    private long lastSent;
    private long lastReceived;

    /**
     * @param recording the recorders to sample.
     * @param counters  progress counters.
     * @param schedule  the run's time line.
     * @param out       where progress lines go.
     * @param quiet     true to print no progress lines.
     * @param logWriter interval log, already started (header, base time), or null for none.
     */
    public IntervalReporter(
        final LatencyRecording recording,
        final LoadCounters counters,
        final Schedule schedule,
        final PrintStream out,
        final boolean quiet,
        final HistogramLogWriter logWriter)
    {
        this.recording = recording;
        this.counters = counters;
        this.schedule = schedule;
        this.out = out;
        this.quiet = quiet;
        this.logWriter = logWriter;
        this.totalNs = schedule.measureEndNs() - schedule.startNs();
        this.lastTickNs = schedule.startNs();
        // Take and drop anything recorded before the start (nothing should be), and start the interval clocks.
        intervalCorrected = recording.corrected.getIntervalHistogram();
        intervalUncorrected = recording.uncorrected.getIntervalHistogram();
        intervalSendLag = recording.sendLag.getIntervalHistogram();
        dropWarmup();
    }

    /**
     * Swaps out and drops what the warm-up twins hold. Done on every tick, so during the warm-up the recording
     * threads also run the recorders' code after a swap (a recorder's phaser alternates between two paths).
     */
    private void dropWarmup()
    {
        dropped[0] = recording.correctedByPhase[0].getIntervalHistogram(dropped[0]);
        dropped[1] = recording.uncorrectedByPhase[0].getIntervalHistogram(dropped[1]);
        dropped[2] = recording.sendLagByPhase[0].getIntervalHistogram(dropped[2]);
    }

    /**
     * @param nowNs the current time.
     * @return when the next tick is due: the next whole second since start, or an earlier phase boundary.
     */
    public long nextTickNs(final long nowNs)
    {
        final long elapsedNs = nowNs - schedule.startNs();
        long nextNs = schedule.startNs() + (elapsedNs / NS_PER_SECOND + 1) * NS_PER_SECOND;
        if (nowNs - schedule.measureStartNs() < 0 && schedule.measureStartNs() - nextNs < 0)
        {
            nextNs = schedule.measureStartNs();
        }
        if (nowNs - schedule.measureEndNs() < 0 && schedule.measureEndNs() - nextNs < 0)
        {
            nextNs = schedule.measureEndNs();
        }
        return nextNs;
    }

    /**
     * Samples every recorder, adds to the totals, logs, and prints a progress line.
     *
     * @param nowNs the current time.
     * @param phase shown on the progress line: {@code warm-up}, {@code measure} or {@code drain}.
     */
    public void onTick(final long nowNs, final String phase)
    {
        intervalCorrected = recording.corrected.getIntervalHistogram(intervalCorrected);
        intervalUncorrected = recording.uncorrected.getIntervalHistogram(intervalUncorrected);
        intervalSendLag = recording.sendLag.getIntervalHistogram(intervalSendLag);
        dropWarmup();
        totalCorrected.add(intervalCorrected);
        totalUncorrected.add(intervalUncorrected);
        totalSendLag.add(intervalSendLag);

        if (null != logWriter && intervalCorrected.getTotalCount() + intervalSendLag.getTotalCount() > 0)
        {
            intervalCorrected.setTag(null);
            intervalUncorrected.setTag("uncorrected");
            intervalSendLag.setTag("send-lag");
            logWriter.outputIntervalHistogram(intervalCorrected);
            logWriter.outputIntervalHistogram(intervalUncorrected);
            logWriter.outputIntervalHistogram(intervalSendLag);
        }

        final long sent = counters.sentMessages.getAcquire();
        final long received = counters.receivedDeliveries.getAcquire();
        final double intervalSeconds = Math.max(1, nowNs - lastTickNs) / (double)NS_PER_SECOND;
        // During the drain a line is printed only when something arrived, not once a second of nothing.
        final boolean idleDrain = phase.equals("drain") && received == lastReceived &&
            intervalCorrected.getTotalCount() == 0;
        if (!quiet && !idleDrain)
        {
            out.println(String.format(Locale.ROOT,
                "[%6.1fs /%6.1fs] %-7s sent %9.0f/s  recv %9.0f/s  p50 %s  p99 %s  (uncorrected p99 %s, send lag p99 %s)%s",
                (nowNs - schedule.startNs()) / (double)NS_PER_SECOND, totalNs / (double)NS_PER_SECOND, phase,
                (sent - lastSent) / intervalSeconds, (received - lastReceived) / intervalSeconds,
                micros(intervalCorrected, 50.0), micros(intervalCorrected, 99.0), micros(intervalUncorrected, 99.0),
                micros(intervalSendLag, 99.0), counters.problems.getAcquire() > 0 ?
                    "  PROBLEMS " + counters.problems.getAcquire() : ""));
        }
        lastTickNs = nowNs;
        lastSent = sent;
        lastReceived = received;
    }

    private static String micros(final Histogram histogram, final double percentile)
    {
        return histogram.getTotalCount() == 0 ? "-" :
            String.format(Locale.ROOT, "%.1fus", histogram.getValueAtPercentile(percentile) / 1000.0);
    }

    /** @return arrival minus due time over every tick so far (ns). */
    public Histogram totalCorrected()
    {
        return totalCorrected;
    }

    /** @return arrival minus send time over every tick so far (ns). */
    public Histogram totalUncorrected()
    {
        return totalUncorrected;
    }

    /** @return send lag (open) or turnaround (closed) over every tick so far (ns). */
    public Histogram totalSendLag()
    {
        return totalSendLag;
    }
}
