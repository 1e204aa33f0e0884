/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One peer's TCP connection to the server and its two buffers.
 * <pre>
 *   writeBuffer (sender thread)           readBuffer (receiver thread; the registrar before it starts)
 *   [ sent | queued frames ... | free ]   [ unparsed bytes ... | free ]
 *     written to the channel                 filled by read, parsed frame by frame, compacted
 * </pre>
 * Both are direct buffers allocated once, so socket I/O copies nothing extra and allocates nothing. The write buffer
 * is in fill mode (position = end of queued bytes); the read buffer too (position = end of unparsed bytes).
 * <p>
 * A peer has one connection for tern and NATS. Redis needs two: a connection that has subscribed may only
 * (un)subscribe, so the peer's messages go out on a second, {@link #publishOnly} connection, {@link #publisher},
 * whose read buffer only ever gets the integer replies to its PUBLISHes.
 */
public final class PeerConnection implements AutoCloseable
{
    final int peerIndex;
    final int senderIndex;
    final int receiverIndex;
    final String name;
    final SocketChannel channel;
    final ByteBuffer readBuffer;
    final ByteBuffer writeBuffer;
    /** True for a Redis publisher connection: it sends this peer's messages and gets only replies to them. */
    final boolean publishOnly;
    /**
     * NATS: PINGs the server sent on this connection. Written by the receiver thread only (release), read by the
     * sender thread, which owes one PONG for each.
     */
    final AtomicLong pingsReceived = new AtomicLong();

    /** Set once by the registrar, before the agents start: Redis only, where this peer's messages are sent. */
    PeerConnection publisher;

    // Sender thread only.
    boolean writeQueued;
    boolean writeFailed;
    long pongsQueued;

    // Receiver thread only.
    int scanIndex;
    boolean discardingLongLine;
    boolean closed;

    PeerConnection(
        final int peerIndex,
        final int senderIndex,
        final int receiverIndex,
        final String name,
        final SocketChannel channel,
        final int readBufferBytes,
        final int writeBufferBytes)
    {
        this(peerIndex, senderIndex, receiverIndex, name, channel, readBufferBytes, writeBufferBytes, false);
    }

    PeerConnection(
        final int peerIndex,
        final int senderIndex,
        final int receiverIndex,
        final String name,
        final SocketChannel channel,
        final int readBufferBytes,
        final int writeBufferBytes,
        final boolean publishOnly)
    {
        this.peerIndex = peerIndex;
        this.senderIndex = senderIndex;
        this.receiverIndex = receiverIndex;
        this.name = name;
        this.channel = channel;
        this.readBuffer = ByteBuffer.allocateDirect(readBufferBytes);
        this.writeBuffer = ByteBuffer.allocateDirect(writeBufferBytes);
        this.publishOnly = publishOnly;
    }

    public String name()
    {
        return name;
    }

    /** @return the connection this peer's messages are written to: the {@link #publisher} if it has one, else this. */
    PeerConnection sendConnection()
    {
        return null != publisher ? publisher : this;
    }

    /**
     * Writes as much of the queued bytes as the socket takes now. Sender thread (or the registrar before it).
     *
     * @return true when nothing is left queued.
     * @throws IOException when the connection failed.
     */
    boolean flush() throws IOException
    {
        if (writeBuffer.position() == 0)
        {
            return true;
        }
        writeBuffer.flip();
        try
        {
            channel.write(writeBuffer);
        }
        finally
        {
            writeBuffer.compact();
        }
        return writeBuffer.position() == 0;
    }

    /** Closes this connection and its publisher connection, if any. */
    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Closing at the end of a run; nothing to do about it.
        }
        if (null != publisher)
        {
            publisher.close();
        }
    }
}
