/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

/**
 * The transport's share of the broker's settings, already validated by the broker's configuration.
 *
 * @param bindAddress        address to listen on.
 * @param port               port to listen on, 0 for any free one.
 * @param readers            reader threads.
 * @param writers            writer threads.
 * @param readBufferBytes    per reader (and the authenticator): most bytes one socket read takes.
 * @param maxLineBytes       longest line accepted.
 * @param inboundBufferBytes per reader line arena.
 * @param maxQueuedBytesPerPeer bytes queued for one peer before it is a slow consumer.
 * @param outboundBudgetBytes  direct memory for all peers' queued bytes together.
 * @param writeBufferBytes   per writer: staging buffer for socket writes, and the largest buffer a connection's
 *                           unwritten rest takes after a partial write.
 * @param maxConnections     open connections allowed.
 * @param batchCapacity      most lines a reader hands over in one batch (at most the Disruptor ring size).
 * @param idleStrategy       how readers and writers wait.
 * @param flushTimeoutMs     deadline to flush a connection being closed, and all of them at shutdown.
 * @param nameTimeoutMs      a connection that has not sent its first line this long after accept is closed; 0 for
 *                           no deadline.
 * @param maxConnectionsPerAddress open connections allowed from one source address (the next one is refused).
 * @param loopbackExempt     true if connections from loopback addresses are not held to
 *                           {@code maxConnectionsPerAddress}.
 * @param idleTimeoutMs      a named connection that neither sends nor is written to this long is closed; 0 for none.
 * @param partialLineTimeoutMs a line begun and not finished this long after its first byte arrived closes the
 *                           connection; 0 for no deadline.
 * @param tcpKeepAliveS      TCP keepalive on accepted sockets: probes start after this many idle seconds, then every
 *                           third of it, three times; 0 for no keepalive.
 * @param lingerMs           after an error reply that ends a connection, how long to read and discard what the client
 *                           still sends before closing, so that the close does not reset the connection and lose the
 *                           reply; 0 to close at once.
 */
public record TransportSettings(
    String bindAddress,
    int port,
    int readers,
    int writers,
    int readBufferBytes,
    int maxLineBytes,
    int inboundBufferBytes,
    long maxQueuedBytesPerPeer,
    long outboundBudgetBytes,
    int writeBufferBytes,
    int maxConnections,
    int batchCapacity,
    IdleStrategyKind idleStrategy,
    long flushTimeoutMs,
    long nameTimeoutMs,
    int maxConnectionsPerAddress,
    boolean loopbackExempt,
    long idleTimeoutMs,
    long partialLineTimeoutMs,
    int tcpKeepAliveS,
    long lingerMs)
{
    /**
     * The settings as before per-address limits, liveness deadlines, keepalive and lingering close existed: all of
     * those off (tests of the transport's other duties).
     */
    public TransportSettings(
        final String bindAddress,
        final int port,
        final int readers,
        final int writers,
        final int readBufferBytes,
        final int maxLineBytes,
        final int inboundBufferBytes,
        final long maxQueuedBytesPerPeer,
        final long outboundBudgetBytes,
        final int writeBufferBytes,
        final int maxConnections,
        final int batchCapacity,
        final IdleStrategyKind idleStrategy,
        final long flushTimeoutMs,
        final long nameTimeoutMs)
    {
        this(bindAddress, port, readers, writers, readBufferBytes, maxLineBytes, inboundBufferBytes,
            maxQueuedBytesPerPeer, outboundBudgetBytes, writeBufferBytes, maxConnections, batchCapacity, idleStrategy,
            flushTimeoutMs, nameTimeoutMs, maxConnections, true, 0, 0, 0, 0);
    }
}
