/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters that one agent writes and other threads read while the run goes on.
 * <p>
 * Single writer each: the sender writes the {@code sent...} counters, the receiver everything else. Writers publish
 * with {@code setRelease} of a value they keep themselves (no read-modify-write), readers use {@code getAcquire}.
 * Exact totals are taken from the agents after they have been joined.
 */
public final class LoadCounters
{
    /** Sender: lines written (or queued for writing). */
    public final AtomicLong sentMessages = new AtomicLong();
    /** Sender: deliveries those lines ask for (K per line for fanout). */
    public final AtomicLong sentDeliveries = new AtomicLong();
    /** Receiver: run messages that arrived, intact or not, duplicates included. */
    public final AtomicLong receivedDeliveries = new AtomicLong();
    /** Receiver: arrivals accounted for (first intact arrival of a sequence, or corrupt); used to end the drain. */
    public final AtomicLong accountedDeliveries = new AtomicLong();
    /** Receiver, NATS: PINGs the server sent, over all connections; the sender answers each with a PONG. */
    public final AtomicLong pingsReceived = new AtomicLong();
    /** Receiver: problems seen so far (corrupt, duplicated, out of order, error lines, disconnects). */
    public final AtomicLong problems = new AtomicLong();

    /** Receiver, closed loop: per sender, deliveries that arrived (first arrival, or corrupt). */
    public final AtomicLongArray receivedBySender;
    /** Receiver, closed loop: per sender, nanoTime of the read that brought its latest delivery. */
    public final AtomicLongArray lastDeliveryNsBySender;

    public LoadCounters(final int senderCount)
    {
        receivedBySender = new AtomicLongArray(senderCount);
        lastDeliveryNsBySender = new AtomicLongArray(senderCount);
    }
}
