/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.metrics;

import io.tern.transport.Connection;

/**
 * One {@code /connz} request's answer: every peer the broker thread knows, with its counters, copied by the broker
 * thread into arrays the requesting admin thread made, then published with a release store ({@link #complete()}).
 * <pre>
 *   admin-N: new PeerSnapshot(capacity) ─▶ PeerSnapshotRequests.offer ─▶ (bounded queue)
 *   broker:  at the end of a batch, or idle: poll ─▶ add() per peer ─▶ complete()   (no allocation, no lock)
 *   admin-N: polls isComplete() on Jetty's scheduler, then sorts, pages and formats the rows
 * </pre>
 * The rows are written only by the broker thread, before {@link #complete()}, and read only by the admin thread
 * after it saw {@link #isComplete()}: the volatile flag orders them.
 */
public final class PeerSnapshot
{
    final int capacity;
    final Connection[] connections;
    /** The peer's name (its {@code toString()} is the name's text), or null before it sent one. */
    final Object[] names;
    final long[] messagesIn;
    final long[] bytesIn;
    final long[] messagesOut;
    final long[] bytesOut;
    final long[] queuedBytes;
    final long[] maxQueuedBytes;
    int count;
    int total;
    final long createdNs = System.nanoTime();
    private volatile boolean complete;

    /** @param capacity rows to make room for; peers beyond it are counted in {@link #total()} only. */
    PeerSnapshot(final int capacity)
    {
        this.capacity = capacity;
        connections = new Connection[capacity];
        names = new Object[capacity];
        messagesIn = new long[capacity];
        bytesIn = new long[capacity];
        messagesOut = new long[capacity];
        bytesOut = new long[capacity];
        queuedBytes = new long[capacity];
        maxQueuedBytes = new long[capacity];
    }

    /**
     * Adds one peer. Broker thread only, garbage-free.
     *
     * @param connection     its connection.
     * @param name           its name (whose {@code toString()} is the text, made later on the admin thread), or null.
     * @param messagesIn     lines it sent that the broker handled.
     * @param bytesIn        bytes of those lines, each line end counted as one byte.
     * @param messagesOut    messages delivered to it.
     * @param bytesOut       bytes queued for it (deliveries and error replies).
     * @param queuedBytes    bytes queued and not yet taken by its writer.
     * @param maxQueuedBytes the queue's bound: past it the peer is cut as a slow consumer.
     */
    public void add(
        final Connection connection,
        final Object name,
        final long messagesIn,
        final long bytesIn,
        final long messagesOut,
        final long bytesOut,
        final long queuedBytes,
        final long maxQueuedBytes)
    {
        total++;
        if (count == capacity)
        {
            return;
        }
        final int i = count++;
        connections[i] = connection;
        names[i] = name;
        this.messagesIn[i] = messagesIn;
        this.bytesIn[i] = bytesIn;
        this.messagesOut[i] = messagesOut;
        this.bytesOut[i] = bytesOut;
        this.queuedBytes[i] = queuedBytes;
        this.maxQueuedBytes[i] = maxQueuedBytes;
    }

    /** Publishes the rows to the admin thread. Broker thread, once, after the last {@link #add}. */
    public void complete()
    {
        complete = true;
    }

    /** @return true once the broker thread has filled it. Any thread. */
    boolean isComplete()
    {
        return complete;
    }

    /** @return peers the broker thread knew, including any beyond the capacity. After {@link #isComplete()}. */
    int total()
    {
        return total;
    }
}
