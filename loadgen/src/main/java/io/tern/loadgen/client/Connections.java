/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.io.IOException;

/**
 * The registered peers of a run and how the two agents move messages through them, whatever the target:
 * <pre>
 *   SenderAgent (loadgen-sender)                       ReceiverAgent (loadgen-receiver, which also registered)
 *     beforeBatch, offer ... offer, afterBatch            poll(timeout, handler) -&gt; FrameHandler callbacks
 *   SocketConnections  NATS, Redis: the loadgen's own NIO sockets, frames written and parsed by a {@link WireProtocol}
 *   TernConnections    tern: one TernClient per peer, all on one invoker TernEventLoop polled by the receiver
 * </pre>
 * Made and registered on the receiving thread ({@link PollingThread}): a tern loop may only ever be polled by one
 * thread. The sender-side methods are called by the sending thread only, the receiver-side ones by the receiving
 * thread only; {@link #close()} after both have stopped.
 */
public abstract class Connections implements AutoCloseable
{
    /** {@link #offer}: the message is on its way (queued for the batch's write). */
    static final int SENT = 0;
    /** {@link #offer}: no room for it now (the server is not taking bytes); try again later. */
    static final int BLOCKED = 1;
    /** {@link #offer}: the sender's connection is gone; the message is not sent. */
    static final int SKIPPED = 2;

    /** @return how many peers (each one connection, two for Redis). */
    public abstract int peerCount();

    /** @return over TLS, the first peer's session, e.g. {@code TLSv1.3 TLS_AES_256_GCM_SHA384}; null otherwise. */
    public abstract String tlsSession();

    /** @return Redis with one server: how many subscribers each PUBLISH must reach; -1 when that is not checked. */
    long subscribersPerPublish()
    {
        return -1;
    }

    // ---------------------------------------------------------------- sending thread

    /** Before a batch of offers: answers what the server asked for (NATS PINGs). */
    abstract void beforeBatch();

    /**
     * Puts one message of a sender into its connection, to be written by {@link #afterBatch()} at the latest.
     *
     * @param sender     index.
     * @param receiver   mesh: the receiver chosen for it; otherwise the sender's fixed destinations are used.
     * @param sequence   of its stream.
     * @param dueNs      its due time (closed loops: its send time).
     * @param sendTimeNs now, written into the payload.
     * @return {@link #SENT}, {@link #BLOCKED} or {@link #SKIPPED}.
     */
    abstract int offer(int sender, int receiver, long sequence, long dueNs, long sendTimeNs);

    /** After a batch: writes every connection that took a message, once each. */
    abstract void afterBatch();

    /** @return true while bytes wait for a connection the server is not reading fast enough (a retry is due). */
    abstract boolean hasUnwritten();

    /** @return bytes of messages never written, when the sender stopped. After it stopped. */
    abstract long unwrittenBytes();

    /** @return connections the sender found failed. After it stopped. */
    abstract long writeFailures();

    // ---------------------------------------------------------------- receiving thread

    /**
     * Reads what has arrived on every connection and tells the handler, frame by frame; waits up to the timeout when
     * nothing has.
     *
     * @param timeoutMs longest wait; 0 does not wait.
     * @param handler   told about every frame.
     * @return work done, 0 for none.
     * @throws IOException when the selector fails.
     */
    abstract int poll(long timeoutMs, FrameHandler handler) throws IOException;

    /** Makes a {@link #poll} that waits return soon. Any thread. */
    abstract void wake();

    /** Closes every connection. After both agents have stopped (or when they never started). */
    @Override
    public abstract void close();
}
