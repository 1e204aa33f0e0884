/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * The transport's counters: their type ids and how many there are, in one place. Every counter is an Agrona
 * {@code AtomicCounter} in a {@link CountersManager}: padded to its own cache lines, labelled, written by one agent
 * (a release store, garbage-free) and read by any thread without a lock, as Aeron's {@code status} counters are.
 * <pre>
 *   type id                      label                          writer          per
 *   BYTES_READ            1      bytes read: reader-N           reader-N        reader, and the authenticator
 *   BYTES_WRITTEN         2      bytes written: writer-M        writer-M        writer
 *   CONNECTIONS_CLOSED    3      connections closed: writer-M   writer-M        writer, and the authenticator
 *   CONNECTIONS_ACCEPTED  4      connections accepted           acceptor        transport
 *   REFUSED_TOO_MANY      5      connections refused: too many  acceptor        transport
 *   REFUSED_NOT_AUTHORIZED 6     connections refused: not ...   authenticator   transport
 *   CONNECTION_SLOTS      7      connection slots made          acceptor        transport
 *   OUTBOUND_MEMORY       8      outbound memory allocated,     broker          transport
 *                                in use, charged high-water
 *   OUTBOUND_COMMITTED    9      outbound bytes committed       broker          transport
 *   OUTBOUND_TAKEN       10      outbound bytes taken: writer-M writer-M        writer
 * </pre>
 */
public final class TransportCounters
{
    public static final int BYTES_READ_TYPE_ID = 1;
    public static final int BYTES_WRITTEN_TYPE_ID = 2;
    public static final int CONNECTIONS_CLOSED_TYPE_ID = 3;
    public static final int CONNECTIONS_ACCEPTED_TYPE_ID = 4;
    public static final int REFUSED_TOO_MANY_TYPE_ID = 5;
    public static final int REFUSED_NOT_AUTHORIZED_TYPE_ID = 6;
    public static final int CONNECTION_SLOTS_TYPE_ID = 7;
    public static final int OUTBOUND_MEMORY_TYPE_ID = 8;
    public static final int OUTBOUND_COMMITTED_TYPE_ID = 9;
    public static final int OUTBOUND_TAKEN_TYPE_ID = 10;

    private TransportCounters()
    {
    }

    /**
     * @param settings the transport's settings.
     * @return how many counters a transport allocates (the authenticator's included, whether on or not).
     */
    public static int count(final TransportSettings settings)
    {
        return settings.readers() + 3 * settings.writers() + 3 + 3 + 4;
    }

    /**
     * Allocates a counters manager over direct memory. Start-up only (allocates; counters are then allocated from it
     * on one thread before any agent runs).
     *
     * @param counters how many counters it must hold.
     * @return the manager.
     */
    public static CountersManager newCountersManager(final int counters)
    {
        final int capacity = Math.max(1, counters);
        return new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity * CountersReader.COUNTER_LENGTH)),
            StandardCharsets.US_ASCII);
    }
}
