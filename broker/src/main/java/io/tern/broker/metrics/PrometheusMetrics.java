/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.LongSupplier;

import com.lmax.disruptor.Sequenced;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.SummaryWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.Unit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import io.tern.transport.Transport;

/**
 * The broker's metrics in the Prometheus text format, built with the Prometheus Java client: every metric is a
 * callback ({@code CounterWithCallback}, {@code GaugeWithCallback}, {@code SummaryWithCallback}, and a collector for
 * the histograms) that reads our own single-writer counters and stage histograms when scraped, so the client library
 * never sits on the hot path.
 * <pre>
 *   tern_connections_accepted_total, tern_connections_closed_total, tern_connections_open,
 *   tern_connections_refused_total{reason}, tern_peers_registered,
 *   tern_messages_in_total, tern_messages_delivered_total, tern_in_bytes_total, tern_out_bytes_total,
 *   tern_errors_sent_total{kind}, tern_slow_consumer_disconnects_total,
 *   tern_ring_free_events, tern_ring_size_events, tern_accepting, tern_internal_errors_total,
 *   tern_stage_latency_seconds{stage, quantile}  quantiles 0.5 0.9 0.99 0.999 1 (max) over the recent window
 *                                                (about a minute); _count and _sum since start
 *   tern_stage_latency_histogram_seconds{stage, le}  the same values since start as a classic histogram (buckets
 *                                                1 us to 10 s, 1-2-5 steps), which adds up across brokers
 *   tern_build_info{version, commit} 1, tern_uptime_seconds
 *   jvm_*, process_*                             the Prometheus Java client's JVM instrumentation (GC, memory
 *                                                pools, buffer pools, threads, classes, JIT; CPU, descriptors, RSS)
 * </pre>
 * Metrics thread only (the callbacks read the stage histograms, which that thread owns).
 */
final class PrometheusMetrics
{
    /** Quantiles of each stage; 1.0 is the maximum. */
    static final double[] QUANTILES = {0.5, 0.9, 0.99, 0.999, 1.0};
    private static final double NS_PER_SECOND = 1e9;
    /**
     * Upper bounds of the stage histograms' buckets, in seconds: 1-2-5 steps from 1 us, where a quiet broker's
     * stages sit, to 10 s, well past any stall worth a bucket of its own (+Inf catches the rest, up to the recorders'
     * 10 minutes). 22 buckets: fine enough for histogram_quantile() to place a p99 within a factor of 2.5.
     */
    static final double[] BUCKETS_SECONDS = bucketsSeconds();
    private static final long[] BUCKETS_NS = bucketsNs(BUCKETS_SECONDS);

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    PrometheusMetrics(
        final RouterMetrics router,
        final Transport transport,
        final Sequenced ring,
        final LongSupplier internalErrors,
        final StageHistogram[] stages,
        final String version,
        final String commit,
        final long startMs,
        final java.util.function.LongSupplier clockMs)
    {
        counter("tern_connections_accepted", "connections accepted since start (refused ones not included)",
            transport::connectionsAccepted);
        counter("tern_connections_closed", "accepted connections closed since start", transport::connectionsClosed);
        gauge("tern_connections_open", "connections accepted and not yet closed", transport::connectionsOpen);
        CounterWithCallback.builder()
            .name("tern_connections_refused")
            .help("connections refused at once, by reason")
            .labelNames("reason")
            .callback(callback ->
            {
                callback.call(transport.connectionsRefusedTooMany(), "too_many_connections");
                callback.call(transport.connectionsRefusedNotAuthorized(), "not_authorized");
                callback.call(transport.connectionsRefusedBusy(), "busy");
            })
            .register(registry);
        gauge("tern_logins_checking", "logins waiting for a credentials check or being checked now",
            transport::loginsChecking);
        gauge("tern_connection_memory_bytes", "direct memory allocated for connections' staging buffers and " +
            "outbound segments, in use or pooled for reuse", transport::connectionMemoryBytes);
        gauge("tern_outbound_memory_allocated_bytes", "direct memory allocated for outbound segments, held by peers " +
            "or pooled for reuse", transport::outboundMemoryAllocatedBytes);
        gauge("tern_outbound_memory_in_use_bytes", "direct memory of the outbound segments peers hold now",
            transport::outboundMemoryInUseBytes);
        gauge("tern_outbound_queued_bytes", "bytes queued for peers and not yet taken by their writers",
            transport::outboundQueuedBytes);
        gauge("tern_peers_registered", "names registered now", router::peersRegistered);
        counter("tern_messages_in", "lines from registered peers handled by the broker thread since start",
            router::messagesIn);
        counter("tern_messages_delivered", "'from ...' lines queued for recipients since start",
            router::messagesDelivered);
        counter("tern_in_bytes", "bytes read from sockets since start", transport::bytesRead);
        counter("tern_out_bytes", "bytes written to sockets by the writers since start", transport::bytesWritten);
        CounterWithCallback.builder()
            .name("tern_errors_sent")
            .help("'error: ...' lines queued for peers since start, by kind")
            .labelNames("kind")
            .callback(callback ->
            {
                for (final ErrorKind kind : ErrorKind.values())
                {
                    callback.call(router.errorsSent(kind), kind.label());
                }
            })
            .register(registry);
        counter("tern_slow_consumer_disconnects", "peers cut off as slow consumers since start",
            router::slowConsumerDisconnects);
        gauge("tern_ring_free_events", "free slots in the Disruptor ring now", ring::remainingCapacity);
        gauge("tern_ring_size_events", "slots in the Disruptor ring", ring::getBufferSize);
        gauge("tern_accepting", "1 while the broker accepts connections, else 0",
            () -> transport.isAccepting() ? 1 : 0);
        counter("tern_internal_errors", "unexpected exceptions in the broker's threads (a bug if not zero)",
            internalErrors);

        SummaryWithCallback.builder()
            .name("tern_stage_latency_seconds")
            .unit(Unit.SECONDS)
            .help("time inside the broker by stage: quantiles over about the last minute (1 = max), count and " +
                "sum since start")
            .labelNames("stage")
            .callback(callback ->
            {
                for (final StageHistogram stage : stages)
                {
                    final Histogram total = stage.sinceStart();
                    final long count = total.getTotalCount();
                    final double sumSeconds = 0 == count ? 0.0 : total.getMean() * count / NS_PER_SECOND;
                    callback.call(count, sumSeconds, quantiles(stage.recent()), stage.stage().label());
                }
            })
            .register(registry);

        registry.register(new StageLatencyHistogram(stages));

        GaugeWithCallback.builder()
            .name("tern_build_info")
            .help("the broker's version and the commit it was built from; always 1")
            .labelNames("version", "commit")
            .callback(callback -> callback.call(1, version, commit))
            .register(registry);
        GaugeWithCallback.builder()
            .name("tern_uptime_seconds")
            .unit(Unit.SECONDS)
            .help("seconds since the broker started")
            .callback(callback -> callback.call((clockMs.getAsLong() - startMs) / 1000.0))
            .register(registry);

        // Not JvmMetrics.builder(), which adds all of them: its memory pool allocation metric adds a GC listener
        // per registration that is never removed, and the native memory one runs a diagnostic command per scrape.
        JvmThreadsMetrics.builder().register(registry);
        JvmBufferPoolMetrics.builder().register(registry);
        JvmClassLoadingMetrics.builder().register(registry);
        JvmCompilationMetrics.builder().register(registry);
        JvmGarbageCollectorMetrics.builder().register(registry);
        JvmMemoryMetrics.builder().register(registry);
        JvmRuntimeInfoMetric.builder().register(registry);
        ProcessMetrics.builder().register(registry);
    }

    /**
     * Each stage's values since start as a classic histogram: cumulative counts per upper bound in seconds, taken in
     * one pass over the HdrHistogram. A value counts in the bucket of its HdrHistogram bucket's lowest value, so a
     * value within 0.1% above a bound may count below it.
     */
    private static final class StageLatencyHistogram implements Collector
    {
        private final StageHistogram[] stages;

        StageLatencyHistogram(final StageHistogram[] stages)
        {
            this.stages = stages;
        }

        @Override
        public String getPrometheusName()
        {
            return "tern_stage_latency_histogram_seconds";
        }

        @Override
        public MetricSnapshot collect()
        {
            final HistogramSnapshot.Builder snapshot = HistogramSnapshot.builder()
                .name("tern_stage_latency_histogram_seconds")
                .unit(Unit.SECONDS)
                .help("time inside the broker by stage since start, as a histogram that adds up across brokers " +
                    "(the same values as tern_stage_latency_seconds)");
            for (final StageHistogram stage : stages)
            {
                snapshot.dataPoint(dataPoint(stage.sinceStart(), Labels.of("stage", stage.stage().label())));
            }
            return snapshot.build();
        }
    }

    /**
     * A value counts in the bucket of its HdrHistogram bucket's lowest value, so a value on a bound (or within 0.1%
     * above it) counts at or below that bound: the iterator's own value is the highest equivalent one, which would
     * put a value of exactly 10 us (10,007 ns to HdrHistogram) above the {@code le="1.0E-5"} bound it belongs under.
     *
     * @return an HdrHistogram of nanoseconds as a classic histogram in seconds, {@link #BUCKETS_SECONDS}.
     */
    static HistogramSnapshot.HistogramDataPointSnapshot dataPoint(final Histogram total, final Labels labels)
    {
        final long[] counts = new long[BUCKETS_NS.length + 1];
        int bucket = 0;
        for (final HistogramIterationValue value : total.recordedValues())
        {
            final long ns = total.lowestEquivalentValue(value.getValueIteratedTo());
            while (bucket < BUCKETS_NS.length && ns > BUCKETS_NS[bucket])
            {
                bucket++;
            }
            counts[bucket] += value.getCountAtValueIteratedTo();
        }
        final ClassicHistogramBuckets.Builder buckets = ClassicHistogramBuckets.builder();
        long count = 0;
        for (int i = 0; i < counts.length; i++)
        {
            buckets.bucket(i < BUCKETS_SECONDS.length ? BUCKETS_SECONDS[i] : Double.POSITIVE_INFINITY, counts[i]);
            count += counts[i];
        }
        return HistogramSnapshot.HistogramDataPointSnapshot.builder()
            .classicHistogramBuckets(buckets.build())
            .sum(0 == count ? 0.0 : total.getMean() * count / NS_PER_SECOND)
            .labels(labels)
            .build();
    }

    /** Claim to answer since start, as a classic histogram ({@code tern_cluster_claim_seconds}). */
    private static final class ClaimHistogram implements Collector
    {
        private final ClaimLatency latency;

        ClaimHistogram(final ClaimLatency latency)
        {
            this.latency = latency;
        }

        @Override
        public String getPrometheusName()
        {
            return "tern_cluster_claim_seconds";
        }

        @Override
        public MetricSnapshot collect()
        {
            return HistogramSnapshot.builder()
                .name("tern_cluster_claim_seconds")
                .unit(Unit.SECONDS)
                .help("time from a name's claim to the directory's answer (granted, taken or unavailable), since start")
                .dataPoint(dataPoint(latency.sinceStart(), Labels.EMPTY))
                .build();
        }
    }

    private static double[] bucketsSeconds()
    {
        final double[] bounds = new double[22];
        final double[] steps = {1, 2, 5};
        double decade = 1e-6;
        for (int i = 0; i < bounds.length; i++)
        {
            // Rounded to 12 significant digits so the le labels read 2.0E-5, not 1.9999999999999998E-5.
            bounds[i] = Double.parseDouble(String.format(java.util.Locale.ROOT, "%.12g", steps[i % 3] * decade));
            if (i % 3 == 2)
            {
                decade *= 10;
            }
        }
        return bounds;
    }

    private static long[] bucketsNs(final double[] seconds)
    {
        final long[] ns = new long[seconds.length];
        for (int i = 0; i < seconds.length; i++)
        {
            ns[i] = Math.round(seconds[i] * NS_PER_SECOND);
        }
        return ns;
    }

    private static Quantiles quantiles(final Histogram recent)
    {
        final Quantile[] quantiles = new Quantile[QUANTILES.length];
        final boolean empty = null == recent || recent.getTotalCount() == 0;
        for (int i = 0; i < QUANTILES.length; i++)
        {
            final double q = QUANTILES[i];
            final double seconds = empty ? Double.NaN : (q >= 1.0 ?
                recent.getMaxValue() : recent.getValueAtPercentile(q * 100.0)) / NS_PER_SECOND;
            quantiles[i] = new Quantile(q, seconds);
        }
        return Quantiles.of(quantiles);
    }

    private void counter(final String name, final String help, final LongSupplier value)
    {
        CounterWithCallback.builder()
            .name(name)
            .help(help)
            .callback(callback -> callback.call(value.getAsLong()))
            .register(registry);
    }

    private void gauge(final String name, final String help, final LongSupplier value)
    {
        GaugeWithCallback.builder()
            .name(name)
            .help(help)
            .callback(callback -> callback.call(value.getAsLong()))
            .register(registry);
    }

    /**
     * Adds the {@code tern_cluster_*} metrics of a cluster node. Before the metrics thread starts.
     *
     * @param cluster the node's state and counters.
     */
    void cluster(final ClusterMetricsSource cluster)
    {
        gauge("tern_cluster_node_id", "this node's id in cluster-members", cluster::nodeId);
        gauge("tern_cluster_connected", "1 while this node is joined to the cluster's name directory",
            cluster::connected);
        gauge("tern_cluster_leader", "the directory's leader (a node id) as this node last heard; -1 unknown",
            cluster::leaderMemberId);
        gauge("tern_cluster_remote_names", "names held on other nodes, as this node knows them", cluster::remoteNames);
        counter("tern_cluster_claims", "names asked of the directory", cluster::claims);
        counter("tern_cluster_claims_granted", "names granted by the directory", cluster::claimsGranted);
        counter("tern_cluster_claims_taken", "names refused: held on another node", cluster::claimsTaken);
        counter("tern_cluster_claims_unavailable", "names refused: the directory could not be reached",
            cluster::claimsUnavailable);
        registry.register(new ClaimHistogram(cluster.claimLatency()));
        gauge("tern_cluster_member_role", "this node's directory member: 0 follower, 1 candidate, 2 leader; -1 unknown",
            cluster::memberRole);
        counter("tern_cluster_frames_sent", "messages sent to other nodes", cluster::framesSent);
        counter("tern_cluster_sent_bytes", "bytes of frames sent to other nodes", cluster::bytesSent);
        counter("tern_cluster_frames_received", "messages received from other nodes", cluster::framesReceived);
        counter("tern_cluster_send_failures", "messages to another node answered 'no peer': link gone or " +
            "back-pressured beyond cluster-link-timeout-ms", cluster::sendsFailed);
        counter("tern_cluster_back_pressure_events", "times a link to another node was back-pressured",
            cluster::backPressureEvents);
        counter("tern_cluster_peers_dropped_on_loss", "peers closed because this node lost the directory",
            cluster::peersDroppedOnLoss);

        final int self = (int)cluster.nodeId();
        GaugeWithCallback.builder()
            .name("tern_cluster_link_up")
            .help("1 while the link to that node is up both ways (publication connected, its stream's image here)")
            .labelNames("node")
            .callback(callback ->
            {
                for (int node = 0; node < cluster.nodeCount(); node++)
                {
                    if (node != self)
                    {
                        callback.call(cluster.linkConnected(node) && cluster.linkImagePresent(node) ? 1 : 0,
                            Integer.toString(node));
                    }
                }
            })
            .register(registry);
        perNode("tern_cluster_link_frames_sent", "messages sent to that node", self, cluster, cluster::framesSent);
        perNode("tern_cluster_link_sent_bytes", "bytes of frames sent to that node", self, cluster,
            cluster::bytesSent);
        perNode("tern_cluster_link_frames_received", "messages received from that node", self, cluster,
            cluster::framesReceived);
        perNode("tern_cluster_link_received_bytes", "bytes of frames received from that node", self, cluster,
            cluster::bytesReceived);
        perNode("tern_cluster_link_send_failures", "messages for that node answered 'no peer'", self, cluster,
            cluster::sendsFailed);
        perNode("tern_cluster_link_back_pressure_events", "times the link to that node was back-pressured", self,
            cluster, cluster::backPressureEvents);
        GaugeWithCallback.builder()
            .name("tern_cluster_names")
            .help("names held on each node, as this node knows them (its own: granted to its peers)")
            .labelNames("node")
            .callback(callback ->
            {
                for (int node = 0; node < cluster.nodeCount(); node++)
                {
                    callback.call(cluster.names(node), Integer.toString(node));
                }
            })
            .register(registry);
    }

    /** A counter per other node, labelled {@code node}. */
    private void perNode(final String name, final String help, final int self, final ClusterMetricsSource cluster,
        final java.util.function.IntToLongFunction value)
    {
        CounterWithCallback.builder()
            .name(name)
            .help(help)
            .labelNames("node")
            .callback(callback ->
            {
                for (int node = 0; node < cluster.nodeCount(); node++)
                {
                    if (node != self)
                    {
                        callback.call(value.applyAsLong(node), Integer.toString(node));
                    }
                }
            })
            .register(registry);
    }

    /** @return the content type of {@link #writeTo(OutputStream)}. */
    String contentType()
    {
        return writer.getContentType();
    }

    /**
     * Scrapes every metric and writes the text format. Sample the stage histograms first.
     *
     * @param out where to write.
     * @throws IOException if writing fails.
     */
    void writeTo(final OutputStream out) throws IOException
    {
        writer.write(out, registry.scrape());
    }
}
