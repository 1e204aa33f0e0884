/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One peer's TCP connection to the broker and its two buffers.
 * <pre>
 *   writeBuffer (sender thread)           readBuffer (receiver thread; the registrar before it starts)
 *   [ sent | queued lines ... | free ]    [ unparsed bytes ... | free ]
 *     written to the channel                 filled by read, parsed line by line, compacted
 * </pre>
 * Both are direct buffers allocated once, so socket I/O copies nothing extra and allocates nothing. The write buffer
 * is in fill mode (position = end of queued bytes); the read buffer too (position = end of unparsed bytes).
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

    // Sender thread only.
    boolean writeQueued;
    boolean writeFailed;

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
        this.peerIndex = peerIndex;
        this.senderIndex = senderIndex;
        this.receiverIndex = receiverIndex;
        this.name = name;
        this.channel = channel;
        this.readBuffer = ByteBuffer.allocateDirect(readBufferBytes);
        this.writeBuffer = ByteBuffer.allocateDirect(writeBufferBytes);
    }

    public String name()
    {
        return name;
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
    }
}
