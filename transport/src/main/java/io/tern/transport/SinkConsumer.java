/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * The consuming side of the {@link InboundSink}, when it runs on the transport's shared thread rather than a thread of
 * its own (the broker's Disruptor handler driven by an {@code EventPoller}). Called on the shared thread only.
 */
public interface SinkConsumer
{
    /**
     * Handles what has been published since the last call, without blocking.
     *
     * @return how many events were handled.
     */
    int poll();

    /** @return true if nothing published is waiting to be handled. */
    boolean isIdle();

    /**
     * @return the longest the shared thread may wait before it polls again, in milliseconds, for timers of the
     * consumer's own (what no socket announces); {@link Long#MAX_VALUE} for none, the default.
     */
    default long maxWaitMs()
    {
        return Long.MAX_VALUE;
    }
}
