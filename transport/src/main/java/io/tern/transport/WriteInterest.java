/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.channels.ClosedChannelException;
import java.util.function.Consumer;

/**
 * How a {@link Writer} learns that a socket it could not finish writing to takes more bytes, and how the broker's
 * hand-off ends the wait of the thread that would learn it. The writer only asks for and drops write-readiness; where
 * the interest is registered and which thread's selector reports it is this strategy's business, chosen by whoever
 * composes the threads:
 * <pre>
 *   OwnSelectorWriteInterest      the writer's own thread: OP_WRITE on the writer's own selector, where it blocks
 *   SharedSelectorWriteInterest   one thread for reader, broker and writer: OP_WRITE on the selector that thread
 *                                 blocks in (the reader's), so a writable socket ends its wait as a readable one does
 * </pre>
 * Called on the writer's thread only (which is the shared thread in the shared mode), except {@link #wakeup()}.
 * Garbage-free.
 */
interface WriteInterest
{
    /**
     * Reports the connection to {@link #poll(Consumer)} once its socket takes more bytes. Idempotent.
     *
     * @param connection a connection of this writer.
     * @throws ClosedChannelException if the socket is closed.
     */
    void request(Connection connection) throws ClosedChannelException;

    /**
     * Stops reporting the connection: it has nothing more to write, or is being closed. Idempotent.
     *
     * @param connection a connection of this writer.
     */
    void drop(Connection connection);

    /**
     * Hands each connection whose socket is writable again to the handler, without blocking.
     *
     * @param onWritable what the writer does with a writable connection.
     * @return work done, for the duty cycle.
     */
    int poll(Consumer<Connection> onWritable);

    /** @return true if no connection waits for write-readiness. */
    boolean isEmpty();

    /**
     * @return true if a connection waits on a selector that no thread blocks in, so the caller must poll it soon
     * rather than block elsewhere for long.
     */
    boolean needsPolling();

    /** Ends the wait of the thread that runs the writer, because the broker queued work for it. Broker thread. */
    void wakeup();
}
