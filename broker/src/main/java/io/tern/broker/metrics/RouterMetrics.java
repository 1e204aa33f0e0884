/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import org.HdrHistogram.SingleWriterRecorder;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import io.tern.transport.LatencyRecorders;

/**
 * What the broker thread counts and times: messages in and delivered, errors sent by kind, slow-consumer
 * disconnects, peers registered, and the read-to-route latency of every message.
 * <p>
 * Single writer: the {@code on...} methods are called by the broker thread only, and are wait-free and
 * garbage-free (a release store per Agrona {@link AtomicCounter}, an HdrHistogram {@link SingleWriterRecorder} for
 * the latency). The
 * getters may be called from any thread and return a recent snapshot; the recorder is sampled only by the metrics
 * thread, through {@link SingleWriterRecorder#getIntervalHistogram}.
 */
public final class RouterMetrics
{
    /** Type id of the router's counters (the transport's are {@code io.tern.transport.TransportCounters}). */
    public static final int ROUTER_COUNTER_TYPE_ID = 101;
    /** How many counters a RouterMetrics allocates. */
    public static final int COUNTERS = 4 + ErrorKind.COUNT;

    private final AtomicCounter messagesIn;
    private final AtomicCounter messagesDelivered;
    private final AtomicCounter slowConsumerDisconnects;
    private final AtomicCounter peersRegistered;
    private final AtomicCounter[] errorsSent = new AtomicCounter[ErrorKind.COUNT];
    private final SingleWriterRecorder readToRoute = LatencyRecorders.newRecorder();

    /**
     * @param counters where to allocate the {@link #COUNTERS} counters; on one thread, before the broker thread runs.
     */
    public RouterMetrics(final CountersManager counters)
    {
        messagesIn = counters.newCounter("messages in", ROUTER_COUNTER_TYPE_ID);
        messagesDelivered = counters.newCounter("messages delivered", ROUTER_COUNTER_TYPE_ID);
        slowConsumerDisconnects = counters.newCounter("slow consumer disconnects", ROUTER_COUNTER_TYPE_ID);
        peersRegistered = counters.newCounter("peers registered", ROUTER_COUNTER_TYPE_ID);
        for (final ErrorKind kind : ErrorKind.values())
        {
            errorsSent[kind.ordinal()] = counters.newCounter("errors sent: " + kind.label(), ROUTER_COUNTER_TYPE_ID);
        }
    }

    /**
     * A line from a registered peer reached the broker thread. Broker thread only.
     *
     * @param readToRouteNs from the socket read that completed the line to the start of its routing.
     */
    public void onMessageIn(final long readToRouteNs)
    {
        messagesIn.incrementRelease();
        LatencyRecorders.record(readToRoute, readToRouteNs);
    }

    /** A {@code from ...} line was queued for a recipient. Broker thread only. */
    public void onDelivered()
    {
        messagesDelivered.incrementRelease();
    }

    /**
     * An error line was queued for a peer. Broker thread only.
     *
     * @param kind which error.
     */
    public void onErrorSent(final ErrorKind kind)
    {
        errorsSent[kind.ordinal()].incrementRelease();
    }

    /** A peer was cut off as a slow consumer. Broker thread only. */
    public void onSlowConsumer()
    {
        slowConsumerDisconnects.incrementRelease();
    }

    /**
     * The number of registered names changed. Broker thread only.
     *
     * @param count names registered now.
     */
    public void onPeersRegistered(final int count)
    {
        peersRegistered.setRelease(count);
    }

    /** @return lines from registered peers handled since start. Any thread. */
    public long messagesIn()
    {
        return messagesIn.get();
    }

    /** @return {@code from ...} lines queued for recipients since start. Any thread. */
    public long messagesDelivered()
    {
        return messagesDelivered.get();
    }

    /** @return peers disconnected as slow consumers since start. Any thread. */
    public long slowConsumerDisconnects()
    {
        return slowConsumerDisconnects.get();
    }

    /** @return names registered now. Any thread. */
    public long peersRegistered()
    {
        return peersRegistered.get();
    }

    /**
     * @param kind which error.
     * @return errors of that kind sent since start. Any thread.
     */
    public long errorsSent(final ErrorKind kind)
    {
        return errorsSent[kind.ordinal()].get();
    }

    /** @return the read-to-route recorder; only the metrics thread takes interval histograms from it. */
    public SingleWriterRecorder readToRouteRecorder()
    {
        return readToRoute;
    }
}
