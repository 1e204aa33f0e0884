/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * What the sink's consumer (the broker's router) needs of the transport to get output to peers: hand a connection
 * whose outbound ring has bytes to its writer, wake the writers once per batch, and ask for a connection to be closed.
 * Sink consumer thread only; garbage-free.
 */
public interface OutboundScheduler
{
    /**
     * Queues a connection for its writer because its outbound ring has bytes or it should be closed. Call
     * {@link #wakeWriters()} at the end of the batch.
     *
     * @param connection the connection.
     */
    void schedule(Connection connection);

    /** Wakes each writer that was given work since the last call. */
    void wakeWriters();

    /**
     * Asks the connection's writer to close it; the caller then {@link #schedule(Connection) schedules} it so the
     * writer acts on it.
     *
     * @param connection the connection.
     * @param mode       how to close.
     */
    void close(Connection connection, Connection.CloseMode mode);

    /**
     * Takes back the outbound memory of closed connections and of up to {@code maxScanned} idle peers: call at the end
     * of a batch with a small number, and with a larger one when there is nothing to route. Garbage-free.
     *
     * @param maxScanned most peers holding memory looked at.
     * @return how much was taken back (zero when nothing was).
     */
    int releaseIdleMemory(int maxScanned);
}
