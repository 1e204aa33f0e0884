/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.lmax.disruptor.Sequenced;
import org.HdrHistogram.SingleWriterRecorder;

import io.tern.transport.Transport;

/**
 * The broker's observability: the admin HTTP endpoint, the periodic stats line and the interval logs. One daemon
 * thread, {@code metrics}, alone owns the stage histograms: it ticks them, prints the stats line and formats the
 * admin endpoint's bodies. The endpoint's sockets belong to Jetty's daemon threads, {@code admin-N} (see
 * {@link AdminServer}), so no admin client can delay the metrics thread.
 * <pre>
 *   reader-N ──stamp readNs──▶ broker ──records read-to-route──▶ RouterMetrics.readToRoute ─┐
 *                               │ counters (RouterMetrics)                                   │ getIntervalHistogram
 *                               └─ readNs, routeNs in the outbound record ─▶ writer-M ──────┤ (recorder API only)
 *                                  records route-to-write, read-to-write ─▶ its recorders ──┤
 *                                                                                           ▼
 *   admin-N (Jetty) ◀─ bodies ─ metrics thread: StageHistogram x 3, tick once a second (interval logs,
 *   HTTP /metrics /histograms /health           recent window), stats line every stats-interval-ms
 * </pre>
 * Nothing here runs on the hot path: the recording threads only write counters and recorders.
 */
public final class BrokerMetrics implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(BrokerMetrics.class.getName());
    private static final long TICK_MS = 1000;

    private final StageHistogram[] stages;
    private final AdminServer admin;
    /** What the admin endpoint's /metrics scrapes; null when the admin endpoint is off. */
    private final PrometheusMetrics prometheus;
    private final HistogramLogs logs;
    private final TimeSeries timeSeries;
    private final StatsLine statsLine;
    private final long statsIntervalMs;
    private final PrintStream out;
    private final ScheduledExecutorService executor;
    private boolean closed;

    private BrokerMetrics(
        final MetricsSettings config,
        final RouterMetrics router,
        final Transport transport,
        final Sequenced ring,
        final LongSupplier internalErrors,
        final PeerSnapshotRequests peerSnapshots,
        final PrintStream out) throws IOException
    {
        final boolean adminOn = config.adminPort() >= 0;
        final Path logDir = config.histogramLogDir();
        this.statsIntervalMs = config.statsIntervalMs();
        this.out = out;
        final boolean any = adminOn || statsIntervalMs > 0 || null != logDir;
        final long nowMs = System.currentTimeMillis();

        final int writers = transport.writerCount();
        final SingleWriterRecorder[] routeToWrite = new SingleWriterRecorder[writers];
        final SingleWriterRecorder[] readToWrite = new SingleWriterRecorder[writers];
        for (int i = 0; i < writers; i++)
        {
            routeToWrite[i] = transport.routeToWriteRecorder(i);
            readToWrite[i] = transport.readToWriteRecorder(i);
        }
        stages = !any ? new StageHistogram[0] : new StageHistogram[]{
            new StageHistogram(Stage.READ_TO_ROUTE, new SingleWriterRecorder[]{router.readToRouteRecorder()},
                adminOn, statsIntervalMs > 0, nowMs),
            new StageHistogram(Stage.ROUTE_TO_WRITE, routeToWrite, adminOn, statsIntervalMs > 0, nowMs),
            new StageHistogram(Stage.READ_TO_WRITE, readToWrite, adminOn, statsIntervalMs > 0, nowMs)};

        timeSeries = !adminOn ? null : new TimeSeries(new LongSupplier[]{router::messagesIn,
            router::messagesDelivered, transport::connectionsAccepted, transport::connectionsClosed,
            () -> transport.connectionsRefusedTooMany() + transport.connectionsRefusedNotAuthorized() +
                transport.connectionsRefusedBusy(),
            router::slowConsumerDisconnects, () -> errorsSent(router), internalErrors},
            transport::connectionsOpen, stages, nowMs);
        prometheus = !adminOn ? null : new PrometheusMetrics(router, transport, ring, internalErrors, stages,
            config.version(), config.commit(), nowMs, System::currentTimeMillis);
        admin = !adminOn ? null : new AdminServer(config.adminBind(), config.adminPort(),
            config.adminRequestTimeoutMs(), config.adminTokenFile(), config.adminTls(), stages,
            prometheus, transport::isAccepting,
            System::currentTimeMillis, timeSeries, peerSnapshots, transport::connectionsOpen);
        HistogramLogs openedLogs = null;
        try
        {
            openedLogs = null == logDir ? null : new HistogramLogs(logDir, nowMs);
        }
        catch (final IOException ex)
        {
            if (null != admin)
            {
                admin.stop();
            }
            throw new IOException("--histogram-log-dir=" + logDir + ": " + ex, ex);
        }
        logs = openedLogs;
        statsLine = statsIntervalMs > 0 ? new StatsLine(router, transport, ring, stages, System.nanoTime()) : null;
        executor = !any ? null : Executors.newSingleThreadScheduledExecutor(runnable ->
        {
            final Thread thread = new Thread(runnable, "metrics");
            thread.setDaemon(true); // never the reason a JVM stays up
            return thread;
        });
    }

    /**
     * Sets up what the config asks for and binds the admin port (so a port in use fails start-up), but starts no
     * thread yet.
     *
     * @param config         validated settings: admin-port, admin-bind, admin-request-timeout-ms,
     *                       admin-token-file, stats-interval-ms, histogram-log-dir.
     * @param router         the broker thread's counters and read-to-route recorder.
     * @param transport      connection and byte counters, the writers' recorders, whether it accepts.
     * @param ring           the Disruptor ring, for its free capacity.
     * @param internalErrors unexpected exceptions so far.
     * @param peerSnapshots  where /connz asks the broker thread who is connected.
     * @return the metrics, not yet started.
     * @throws IOException if the admin port cannot be bound, the token file read or the log directory written.
     * @throws IllegalArgumentException if the token file holds no usable token.
     */
    public static BrokerMetrics create(
        final MetricsSettings config,
        final RouterMetrics router,
        final Transport transport,
        final Sequenced ring,
        final LongSupplier internalErrors,
        final PeerSnapshotRequests peerSnapshots) throws IOException
    {
        return new BrokerMetrics(config, router, transport, ring, internalErrors, peerSnapshots, System.out);
    }

    private static long errorsSent(final RouterMetrics router)
    {
        long errors = 0;
        for (final ErrorKind kind : ErrorKind.values())
        {
            errors += router.errorsSent(kind);
        }
        return errors;
    }

    /**
     * Adds a cluster node's metrics ({@code tern_cluster_*}) to {@code /metrics}, and {@code /clusterz}. Before {@link #start()}; nothing
     * when the admin endpoint is off.
     *
     * @param cluster the node's state and counters.
     */
    public void cluster(final ClusterMetricsSource cluster)
    {
        if (null != prometheus)
        {
            prometheus.cluster(cluster);
        }
        if (null != admin)
        {
            admin.cluster(cluster);
        }
    }

    /** Starts the metrics thread, the admin endpoint, the ticks and the stats line. Call once. */
    public void start()
    {
        if (null == executor)
        {
            return;
        }
        if (null != admin)
        {
            admin.start(executor);
        }
        executor.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        if (null != statsLine)
        {
            executor.scheduleAtFixedRate(this::printStats, statsIntervalMs, statsIntervalMs, TimeUnit.MILLISECONDS);
        }
    }

    /** @return the admin endpoint's address, or null when it is off. Any thread. */
    public InetSocketAddress adminAddress()
    {
        return null == admin ? null : admin.address();
    }

    private void tick()
    {
        try
        {
            final long nowMs = System.currentTimeMillis();
            for (final StageHistogram stage : stages)
            {
                stage.sample();
            }
            if (null != timeSeries)
            {
                timeSeries.record(nowMs); // each stage's second, before tick() starts the next
            }
            for (final StageHistogram stage : stages)
            {
                stage.tick(nowMs, logs);
            }
        }
        catch (final RuntimeException ex)
        {
            // A scheduled task that throws is never run again: log and carry on.
            LOG.log(System.Logger.Level.ERROR, "metrics tick failed", ex);
        }
    }

    private void printStats()
    {
        try
        {
            for (final StageHistogram stage : stages)
            {
                stage.sample();
            }
            final String line = statsLine.next(System.nanoTime(), System.currentTimeMillis());
            if (null != line)
            {
                out.println(line);
                out.flush();
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.ERROR, "stats line failed", ex);
        }
    }

    /**
     * Stops the admin endpoint, writes the last partial interval to the logs, closes them and stops the metrics
     * thread. Call after the broker's other threads have stopped, so the logs hold every message. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed || null == executor)
        {
            closed = true;
            return;
        }
        closed = true;
        if (null != admin)
        {
            admin.stop();
        }
        executor.execute(() ->
        {
            tick();
            if (null != logs)
            {
                logs.close();
            }
        });
        executor.shutdown();
        try
        {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS))
            {
                LOG.log(System.Logger.Level.WARNING, "metrics thread did not stop in 5 s");
                executor.shutdownNow();
            }
        }
        catch (final InterruptedException ex)
        {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
