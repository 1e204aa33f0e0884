/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.nio.ByteBuffer;

/**
 * What a {@link FrameParser} found in the bytes of one connection, frame by frame, in arrival order. Implemented by
 * the {@link ReceiverAgent} (measuring) and by the registrars (before it); called by the target's
 * {@link Connections} (its parser, or a tern client's handlers). Every index is absolute in the buffer and
 * only valid during the call: the parser compacts the buffer afterwards.
 * <p>
 * The methods a protocol never produces have empty defaults.
 */
interface FrameHandler
{
    /** {@code senderPeer} for servers that do not say who sent a message: the payload's sender field says it. */
    int SENDER_IN_PAYLOAD = -2;

    /**
     * A message for this connection's peer: on the right subject or channel (NATS, Redis), or a {@code from} line
     * (tern). Its text may be a registration probe or a payload; the handler tells them apart.
     *
     * @param connection it arrived on.
     * @param buffer     holding it.
     * @param senderPeer the peer the server names as its sender (tern); -1 when that name is not one of this run's
     *                   peers; {@link #SENDER_IN_PAYLOAD} when the server does not name one (NATS, Redis).
     * @param textStart  first byte of the text (payload).
     * @param textEnd    one past its last byte.
     */
    void onMessage(ReceivingPeer connection, ByteBuffer buffer, int senderPeer, int textStart, int textEnd);

    /**
     * The server reports an error: tern's {@code error: ...} line, NATS's or Redis's {@code -ERR ...}.
     *
     * @param connection   it arrived on.
     * @param buffer       holding it.
     * @param start        first byte of the error frame.
     * @param end          one past its last byte, line end excluded.
     * @param slowConsumer true when it says this connection did not read fast enough.
     */
    void onServerError(ReceivingPeer connection, ByteBuffer buffer, int start, int end, boolean slowConsumer);

    /**
     * Something that is not a well-formed frame of the protocol, or a message where it cannot be (wrong subject or
     * channel, a frame larger than the read buffer). Counts as a message that arrived corrupt.
     *
     * @param connection it arrived on.
     * @param buffer     holding it.
     * @param start      first byte shown in the report.
     * @param end        one past the last byte shown.
     * @param reason     a constant; no String is built per frame.
     */
    void onCorrupt(ReceivingPeer connection, ByteBuffer buffer, int start, int end, String reason);

    /**
     * Bytes arrived: what follows until the next call arrived at this time.
     *
     * @param nanoTime when the read that brought them returned, by {@link System#nanoTime()}.
     */
    default void onArrival(final long nanoTime)
    {
    }

    /**
     * The server closed a peer's connection, or it failed. Called once per connection.
     *
     * @param peer  whose connection.
     * @param cause the exception or the client's reason, or null for an orderly close by the server.
     */
    default void onDisconnect(final ReceivingPeer peer, final Object cause)
    {
    }

    /** @param connection the server sent {@code PING} on it (NATS) and expects a {@code PONG}. */
    default void onPing(final PeerConnection connection)
    {
    }

    /** @param connection the server answered our {@code PING} on it (NATS {@code PONG}, Redis {@code +PONG}). */
    default void onPong(final PeerConnection connection)
    {
    }

    /**
     * Redis: a {@code SUBSCRIBE} took effect.
     *
     * @param connection   the subscribing connection.
     * @param buffer       holding the channel name.
     * @param channelStart its first byte.
     * @param channelEnd   one past its last byte.
     */
    default void onSubscribed(
        final PeerConnection connection, final ByteBuffer buffer, final int channelStart, final int channelEnd)
    {
    }

    /**
     * Redis: the reply to one {@code PUBLISH} on a publisher connection, in the order they were sent.
     *
     * @param connection  the publisher connection.
     * @param subscribers how many subscribers the server delivered that message to.
     */
    default void onPublishReply(final PeerConnection connection, final long subscribers)
    {
    }
}
