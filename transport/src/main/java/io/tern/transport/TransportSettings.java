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
    long nameTimeoutMs)
{
}
