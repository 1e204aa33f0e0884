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

import io.tern.transport.InboundSink;
import io.tern.transport.Transport;

import static io.tern.broker.Settings.MAX_CONNECTIONS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;
import static io.tern.broker.Settings.NAME_TIMEOUT_MS;

/**
 * What the in-process benchmarks ({@code *Benchmark} in this package) share: the broker's default settings, a
 * {@link Transport} that is built but never started (no socket, no thread: the router only needs it to hand peers to
 * writers), a {@link Router} over it, and the message they all route.
 * <p>
 * The benchmarks are compiled by every build and run only by {@code broker/jmh.sh}.
 */
final class BenchmarkSupport
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

    private BenchmarkSupport()
    {
    }

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
        return new Router(transport, config.get(MAX_NAME_BYTES), config.get(MAX_LINE_BYTES),
            config.get(NAME_TIMEOUT_MS), config.get(MAX_CONNECTIONS));
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
