/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.util.Locale;
import java.util.function.LongSupplier;

import com.lmax.disruptor.Sequenced;
import org.HdrHistogram.Histogram;

import io.tern.transport.Transport;

/**
 * The periodic one-line summary ({@code --stats-interval-ms}): the time, connections, peers, messages and errors in
 * the interval, the Disruptor ring's free slots, and each stage's p50/p99/max over the interval, in microseconds.
 * <pre>
 * 2026-12-03 16:30:05.001 stats over 10.0 s: conns 20 open/20 total, peers 20, in 200000 (20000/s), delivered 200000
 *   (20000/s), errors 0, slow consumers 0, ring free 4096/4096; us p50/p99/max read-to-route 6.1/40.2/310.3 ...
 * </pre>
 * (one line; wrapped here). The time is written as the log lines write theirs (local time, to the millisecond), so
 * the two sort together. An interval in which no message moved, no connection opened or closed and no error was sent
 * prints nothing: a broker that idles does not fill its log. Metrics thread only; it allocates its text, off the hot
 * path.
 */
final class StatsLine
{
    private final RouterMetrics router;
    private final LongSupplier connectionsAccepted;
    private final LongSupplier connectionsClosed;
    private final Sequenced ring;
    private final StageHistogram[] stages;
    private long lastNs;
    private long lastIn;
    private long lastDelivered;
    private long lastErrors;
    private long lastSlow;
    private long lastAccepted;
    private long lastClosed;

    StatsLine(
        final RouterMetrics router,
        final Transport transport,
        final Sequenced ring,
        final StageHistogram[] stages,
        final long nowNs)
    {
        this(router, transport::connectionsAccepted, transport::connectionsClosed, ring, stages, nowNs);
    }

    /**
     * @param connectionsAccepted connections accepted since start.
     * @param connectionsClosed   accepted connections closed since start.
     */
    StatsLine(
        final RouterMetrics router,
        final LongSupplier connectionsAccepted,
        final LongSupplier connectionsClosed,
        final Sequenced ring,
        final StageHistogram[] stages,
        final long nowNs)
    {
        this.router = router;
        this.connectionsAccepted = connectionsAccepted;
        this.connectionsClosed = connectionsClosed;
        this.ring = ring;
        this.stages = stages;
        this.lastNs = nowNs;
    }

    /**
     * Formats the line for the interval since the last one and starts the next interval. Sample the stages first.
     *
     * @param nowNs the current {@link System#nanoTime()}.
     * @param nowMs the current time, epoch ms, for the line's time stamp.
     * @return the line, without a line separator; null when nothing happened in the interval.
     */
    String next(final long nowNs, final long nowMs)
    {
        final double seconds = Math.max(1, nowNs - lastNs) / 1e9;
        final long in = router.messagesIn();
        final long delivered = router.messagesDelivered();
        long errors = 0;
        for (final ErrorKind kind : ErrorKind.values())
        {
            errors += router.errorsSent(kind);
        }
        final long slow = router.slowConsumerDisconnects();
        final long closed = connectionsClosed.getAsLong(); // first: every closed connection was accepted before
        final long accepted = connectionsAccepted.getAsLong();
        if (in == lastIn && delivered == lastDelivered && errors == lastErrors && slow == lastSlow &&
            accepted == lastAccepted && closed == lastClosed)
        {
            for (final StageHistogram stage : stages)
            {
                stage.clearSummary();
            }
            lastNs = nowNs;
            return null;
        }

        final StringBuilder line = new StringBuilder(280);
        line.append(String.format(Locale.ROOT, "%1$tF %1$tT.%1$tL ", nowMs));
        line.append(String.format(Locale.ROOT,
            "stats over %.1f s: conns %d open/%d total, peers %d, in %d (%.0f/s), delivered %d (%.0f/s), errors %d, " +
            "slow consumers %d, ring free %d/%d; us p50/p99/max",
            seconds, accepted - closed, accepted, router.peersRegistered(),
            in - lastIn, (in - lastIn) / seconds, delivered - lastDelivered, (delivered - lastDelivered) / seconds,
            errors - lastErrors, slow - lastSlow, ring.remainingCapacity(), ring.getBufferSize()));
        for (final StageHistogram stage : stages)
        {
            final Histogram histogram = stage.sinceSummary();
            line.append(' ').append(stage.stage().displayName()).append(' ');
            if (null == histogram || histogram.getTotalCount() == 0)
            {
                line.append('-');
            }
            else
            {
                line.append(String.format(Locale.ROOT, "%.1f/%.1f/%.1f",
                    histogram.getValueAtPercentile(50.0) / 1000.0, histogram.getValueAtPercentile(99.0) / 1000.0,
                    histogram.getMaxValue() / 1000.0));
            }
            stage.clearSummary();
        }

        lastNs = nowNs;
        lastIn = in;
        lastDelivered = delivered;
        lastErrors = errors;
        lastSlow = slow;
        lastAccepted = accepted;
        lastClosed = closed;
        return line.toString();
    }
}
