/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * Where readers hand what they framed: implemented by the broker over its Disruptor ring buffer.
 */
@FunctionalInterface
public interface InboundSink
{
    /**
     * Publishes every entry of the batch, in order, or none of them. Called on a reader thread; must not block and
     * must not allocate.
     *
     * @param batch the entries; valid only during the call.
     * @return false if there is no room right now: the reader keeps the batch, stops reading and tries again later.
     */
    boolean tryPublish(InboundBatch batch);
}
