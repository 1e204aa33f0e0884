/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.tern.broker.metrics.RouterMetrics;
import io.tern.transport.Connection;
import io.tern.transport.InProcessTransport;
import io.tern.transport.InboundBatch;
import io.tern.transport.InboundSink;
import io.tern.transport.LineArena;
import io.tern.transport.Transport;
import io.tern.transport.TransportCounters;

import static io.tern.broker.Settings.MAX_CONNECTIONS;
import static io.tern.broker.Settings.MAX_DESTINATIONS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;
import static io.tern.broker.Settings.NAME_TIMEOUT_MS;

/**
 * What the in-process benchmarks ({@code *Benchmark} in this package) share, each by extending this class: the JMH
 * settings (per-thread state, average time in ns, 1 fork with Agrona's exports, 3 x 1 s warm-up, 5 x 1 s
 * measurement; JMH's annotations are inherited), the broker's default settings, connections with no socket, a
 * {@link Transport} that is built but never started (no socket, no thread: the router only needs it to hand peers to
 * writers), a {@link Router} over it, and the lines they all route.
 * <p>
 * The benchmarks are compiled by every build and run only by {@code broker/jmh.sh}. Each runs on the JMH benchmark
 * thread only, which plays every role.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = BenchmarkSupport.AGRONA_EXPORTS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class BenchmarkSupport
{
    /** Agrona reaches {@code jdk.internal.misc.Unsafe}; every forked benchmark JVM needs this, as the broker does. */
    static final String AGRONA_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    /** Bytes of text in the benchmark message, the size the README's loadgen runs use. */
    static final int TEXT_BYTES = 64;

    /** Peer names registered in every benchmark: alice sends, bob receives. */
    static final String SENDER = "alice";
    static final String RECIPIENT = "bob";

    /** The first lines of alice's and bob's connections: their names. */
    static final byte[] SENDER_LINE = ascii(SENDER);
    static final byte[] RECIPIENT_LINE = ascii(RECIPIENT);

    /** The line alice sends: {@code bob: } and 64 bytes of text. */
    static final byte[] MESSAGE_LINE = ascii(RECIPIENT + ": " + text());

    /** What bob receives for it: {@code from alice: <text>\n}. */
    static final int DELIVERED_BYTES = ("from " + SENDER + ": " + text() + "\n").length();

    // Strong reference: java.util.logging keeps loggers weakly, and the level must outlive this class's init.
    private static final Logger ROUTER_LOG = Logger.getLogger(Router.class.getName());

    static
    {
        // One INFO line per registration would land in the middle of JMH's output.
        ROUTER_LOG.setLevel(Level.WARNING);
    }

    /** Messages in the benchmarks' larger batch (reported per message with {@code @OperationsPerInvocation}). */
    static final int BATCH = 16;

    /**
     * The read stamp for the lines the benchmarks route over and over: an hour ahead, so the router's read-to-route
     * latency is negative and recorded as 0. A stamp in the past would make it grow with every message, and every
     * record would take HdrHistogram's new-maximum path ({@code updatedMaxValue}: 12% of the route benchmark's
     * samples when we tried), which the broker in steady state almost never takes. A fresh clock reading per message
     * would add the reader's work to the broker's.
     *
     * @return {@link System#nanoTime()} an hour from now.
     */
    static long readNsAnHourAhead()
    {
        return System.nanoTime() + TimeUnit.HOURS.toNanos(1);
    }

    /** @return the broker's defaults, validated. */
    static BrokerConfig defaults()
    {
        return new BrokerConfig().conclude();
    }

    /**
     * @param config settings.
     * @param sink   where its readers would publish; they never run.
     * @return a transport with its readers' and writers' queues and selectors, never started: close it after use.
     * @throws IOException if a selector cannot be opened.
     */
    static Transport unstartedTransport(final BrokerConfig config, final InboundSink sink) throws IOException
    {
        return new Transport(config.transportSettings(), sink);
    }

    /**
     * @param transport hands peers to writers.
     * @param config    settings.
     * @return a router as the broker builds it.
     */
    static Router router(final Transport transport, final BrokerConfig config)
    {
        return new Router(transport, new RouterMetrics(TransportCounters.newCountersManager(RouterMetrics.COUNTERS)),
            config.get(MAX_NAME_BYTES), config.get(MAX_LINE_BYTES), config.get(MAX_DESTINATIONS),
            config.get(NAME_TIMEOUT_MS), config.get(MAX_CONNECTIONS), config.get(Settings.PARTIAL_LINE_TIMEOUT_MS),
            config.get(Settings.IDLE_TIMEOUT_MS));
    }

    /**
     * @param config settings: the per-peer bound and the staging buffer's size.
     * @param id     its number, for logs.
     * @return a connection with no socket, as {@link InProcessTransport#connection} builds it.
     */
    static Connection connection(final BrokerConfig config, final long id)
    {
        return InProcessTransport.connection(id, config.get(Settings.MAX_QUEUED_BYTES_PER_PEER),
            config.get(Settings.WRITE_BUFFER_BYTES));
    }

    /**
     * Adds the {@code NEW_PEER} lines that register alice and bob, as their readers would.
     *
     * @param batch  a batch with room for two more lines.
     * @param alice  the sender's connection.
     * @param bob    the recipient's connection.
     * @param readNs the read stamp.
     */
    static void addPeers(final InboundBatch batch, final Connection alice, final Connection bob, final long readNs)
    {
        InProcessTransport.addLine(batch, InboundBatch.NEW_PEER, alice, SENDER_LINE, readNs);
        InProcessTransport.addLine(batch, InboundBatch.NEW_PEER, bob, RECIPIENT_LINE, readNs);
    }

    /**
     * Adds {@link #MESSAGE_LINE} from alice {@code count} times, as her reader would.
     *
     * @param batch  a batch with room for {@code count} more lines.
     * @param alice  the sender's connection.
     * @param count  how many copies.
     * @param readNs the read stamp.
     */
    static void addMessages(final InboundBatch batch, final Connection alice, final int count, final long readNs)
    {
        for (int i = 0; i < count; i++)
        {
            InProcessTransport.addLine(batch, InboundBatch.MESSAGE, alice, MESSAGE_LINE, readNs);
        }
    }

    /**
     * @param arena  where the lines go.
     * @param alice  the sender's connection.
     * @param count  how many copies of {@link #MESSAGE_LINE}.
     * @param readNs the read stamp.
     * @return a batch of exactly {@code count} messages from alice, as her reader would publish it.
     */
    static InboundBatch messageBatch(final LineArena arena, final Connection alice, final int count, final long readNs)
    {
        final InboundBatch batch = InProcessTransport.batch(arena, count);
        addMessages(batch, alice, count, readNs);
        return batch;
    }

    /**
     * Publishes a batch that the caller empties off the ring right after, so the ring never fills.
     *
     * @param sink  the reader's sink.
     * @param batch the batch.
     * @throws IllegalStateException if the ring is full: the previous poll should have emptied it.
     */
    static void publish(final DisruptorInboundSink sink, final InboundBatch batch)
    {
        if (!sink.tryPublish(batch))
        {
            throw new IllegalStateException("ring full: the poll after the last publish should have emptied it");
        }
    }

    /**
     * Fails the run if the router did not do what the benchmark expects: a benchmark that silently cut its
     * recipient as a slow consumer would measure the error path.
     *
     * @param router the router after the run.
     */
    static void checkNoSlowConsumer(final Router router)
    {
        if (router.slowConsumerDisconnects() != 0)
        {
            throw new IllegalStateException("slowConsumerDisconnects=" + router.slowConsumerDisconnects());
        }
    }

    /**
     * @param bytes  bytes drained from bob's ring.
     * @param copies messages expected in them.
     */
    static void checkDelivered(final int bytes, final int copies)
    {
        if (bytes != copies * DELIVERED_BYTES)
        {
            throw new IllegalStateException("drained " + bytes + " bytes, expected " + copies + " x " +
                DELIVERED_BYTES);
        }
    }

    static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String text()
    {
        final char[] text = new char[TEXT_BYTES];
        Arrays.fill(text, 'x');
        return new String(text);
    }
}
