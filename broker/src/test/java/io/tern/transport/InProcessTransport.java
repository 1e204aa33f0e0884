/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;

/**
 * Plays the transport's threads on the calling thread, with no sockets, so the broker's benchmarks can drive the
 * in-process path (reader batch, Disruptor, router, outbound ring) by hand. It lives in the transport's package, in
 * the broker's test sources, to reach the package-private constructors and the writer's drain without widening the
 * transport's API.
 * <pre>
 *   reader's part:  connection(...), batch(...), addLine(...)  ─▶ InboundBatch, lines in the LineArena
 *   writer's part:  drain(connection)                          ─▶ the outbound ring emptied into the staging buffer
 * </pre>
 * Not thread-safe: one benchmark thread plays every role.
 */
public final class InProcessTransport
{
    private InProcessTransport()
    {
    }

    /**
     * A connection with no socket: enough for the broker, which only touches its slot, its outbound ring and
     * its close request.
     *
     * @param id                its number, for logs, and its slot: below max-connections, and the same as another
     *                          connection's only to play a closed connection's slot taken by a new one.
     * @param maxQueuedBytes   its per-peer bound; its outbound takes segments from a pool of its own.
     * @param writeBufferBytes its staging buffer, the largest record in the ring.
     * @return the connection; its writer index is 0.
     */
    public static Connection connection(final long id, final long maxQueuedBytes, final int writeBufferBytes)
    {
        final OutboundSegmentPool pool = OutboundSegmentPool.standalone(maxQueuedBytes,
            4 * maxQueuedBytes + (16 << 20), writeBufferBytes);
        return new Connection(id, null, null, null, pool,
            TransportCounters.newCountersManager(1).newCounter("taken"), 0, 0);
    }

    /**
     * @param arena    where the batch's lines go.
     * @param capacity the most entries it holds.
     * @return an empty batch, as a reader holds one.
     */
    public static InboundBatch batch(final LineArena arena, final int capacity)
    {
        return new InboundBatch(arena, capacity);
    }

    /**
     * Does what a reader does with one framed line: copies it into the batch's arena and adds an entry.
     *
     * @param batch      the batch, not full.
     * @param type       {@link InboundBatch#NEW_PEER} or {@link InboundBatch#MESSAGE}.
     * @param connection the connection it came from.
     * @param line       the line without {@code \n}.
     * @param readNs     the {@link System#nanoTime()} stamp of the read that completed it.
     * @throws IllegalStateException if the batch or the arena is full.
     */
    public static void addLine(final InboundBatch batch, final int type, final Connection connection,
        final byte[] line, final long readNs)
    {
        final LineArena arena = batch.arena();
        if (batch.isFull() || !arena.tryAppend(ByteBuffer.wrap(line), 0, line.length))
        {
            throw new IllegalStateException("batch or arena full: size=" + batch.size());
        }
        connection.lastReadNs = readNs;
        batch.add(type, InboundBatch.REASON_CLOSED, connection, (int)arena.lastOffset(), line.length,
            arena.lastEndPosition());
    }

    /**
     * Does what a reader does when a connection's input ends: adds a disconnect entry (with no line bytes).
     *
     * @param batch      the batch, not full.
     * @param connection the connection whose input ended.
     * @param reason     one of {@link InboundBatch}'s {@code REASON_} constants.
     */
    public static void addDisconnect(final InboundBatch batch, final Connection connection, final int reason)
    {
        final LineArena arena = batch.arena();
        if (batch.isFull() || !arena.tryAppend(ByteBuffer.allocate(0), 0, 0))
        {
            throw new IllegalStateException("batch or arena full: size=" + batch.size());
        }
        batch.add(InboundBatch.DISCONNECT, reason, connection, (int)arena.lastOffset(), 0, arena.lastEndPosition());
    }

    /**
     * @param connection a connection.
     * @return how the broker last asked its writer to close it.
     */
    public static Connection.CloseMode closeMode(final Connection connection)
    {
        return connection.closeMode;
    }

    /**
     * Empties a batch once it has been published, as a reader does.
     *
     * @param batch the batch.
     */
    public static void clear(final InboundBatch batch)
    {
        batch.clear();
    }

    /** A writer's staging buffer, for {@link #drain(Connection)}: one per thread, as each writer has one. */
    private static final ThreadLocal<ByteBuffer> STAGING =
        ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(16 * 1024 * 1024));

    /** A writer's stamps for one fill. */
    private static final ThreadLocal<WriteStamps> STAMPS = ThreadLocal.withInitial(WriteStamps::new);

    /**
     * Does a writer's staging step for one connection: moves what is in its outbound ring into a staging buffer,
     * keeping the stamps, then forgets both as if one {@code write()} had taken everything. The connection's
     * {@code scheduled} flag is left set, as by a writer that has not yet taken it from its queue, so the broker's
     * {@code Transport.schedule} stays a single atomic exchange and the writer's queue never fills.
     *
     * @param connection the connection.
     * @return bytes moved.
     */
    public static int drain(final Connection connection)
    {
        final ByteBuffer staging = STAGING.get();
        staging.clear();
        final WriteStamps stamps = STAMPS.get();
        final int bytes = connection.outbound().drainTo(staging, stamps);
        stamps.clear();
        return bytes;
    }
}
