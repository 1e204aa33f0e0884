/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.transport.TlsChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
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
 * A peer has one connection for NATS (tern goes through the client library, {@link TernConnections}). Redis needs two: a connection that has subscribed may only
 * (un)subscribe, so the peer's messages go out on a second, {@link #publishOnly} connection, {@link #publisher},
 * whose read buffer only ever gets the integer replies to its PUBLISHes.
 * <p>
 * Over TLS ({@code --tls}) the bytes go through a {@link TlsChannel} over the socket, its handshake done before the
 * agents start; {@link #io} is that or the socket itself, chosen once per connection, so plain TCP runs exactly as
 * before. The selector still watches the socket: a TLS read may leave records decrypted or undecrypted in the
 * channel ({@link #hasBufferedInput()}), which the reader takes before it waits again, and a write may leave records
 * not yet on the socket, which {@link #flush()} pushes on and {@link #hasQueued()} reports.
 */
public final class PeerConnection implements AutoCloseable, ReceivingPeer
{
    final int peerIndex;
    final int senderIndex;
    final int receiverIndex;
    final String name;
    /** The TCP connection: what selectors watch and what {@link #close()} closes. */
    final SocketChannel channel;
    /** What reads and writes go through: {@link #channel}, or {@link #tls} over it. */
    final ByteChannel io;
    /** The TLS session over {@link #channel}; null for plain TCP. */
    final TlsChannel tls;
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
        this(peerIndex, senderIndex, receiverIndex, name, channel, null, readBufferBytes, writeBufferBytes,
            publishOnly);
    }

    PeerConnection(
        final int peerIndex,
        final int senderIndex,
        final int receiverIndex,
        final String name,
        final SocketChannel channel,
        final TlsChannel tls,
        final int readBufferBytes,
        final int writeBufferBytes,
        final boolean publishOnly)
    {
        this.peerIndex = peerIndex;
        this.senderIndex = senderIndex;
        this.receiverIndex = receiverIndex;
        this.name = name;
        this.channel = channel;
        this.tls = tls;
        this.io = null != tls ? tls : channel;
        this.readBuffer = ByteBuffer.allocateDirect(readBufferBytes);
        this.writeBuffer = ByteBuffer.allocateDirect(writeBufferBytes);
        this.publishOnly = publishOnly;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public int receiverIndex()
    {
        return receiverIndex;
    }

    /** @return over TLS, the session's protocol and cipher suite, e.g. {@code TLSv1.3 TLS_AES_256_GCM_SHA384}; else null. */
    public String tlsSession()
    {
        return null == tls ? null : tls.session().getProtocol() + " " + tls.session().getCipherSuite();
    }

    /** @return the connection this peer's messages are written to: the {@link #publisher} if it has one, else this. */
    PeerConnection sendConnection()
    {
        return null != publisher ? publisher : this;
    }

    /**
     * Reads what has arrived into the read buffer. Receiver thread (or the registrar before it).
     *
     * @return bytes read, 0 for none yet, -1 at the end of the stream.
     * @throws IOException when the connection failed (over TLS also: a record failed its checks).
     */
    int read() throws IOException
    {
        return io.read(readBuffer);
    }

    /**
     * Registration: reads what has arrived, and over TLS goes on while the channel still holds records, so that
     * nothing waits for a readiness that will not come. Calling thread, before the agents start.
     *
     * @return bytes read, 0 for none yet, -1 at the end of the stream with nothing read.
     * @throws IOException when the connection failed.
     */
    int readAvailable() throws IOException
    {
        int read = io.read(readBuffer);
        int total = Math.max(0, read);
        while (read > 0 && readBuffer.hasRemaining() && hasBufferedInput())
        {
            read = io.read(readBuffer);
            total += Math.max(0, read);
        }
        return read < 0 && total == 0 ? -1 : total;
    }

    /**
     * @return true when a read may return more without the socket becoming readable again: TLS records already
     * taken off the socket. Always false over plain TCP.
     */
    boolean hasBufferedInput()
    {
        return null != tls && tls.hasBufferedInput();
    }

    /**
     * Writes as much of the queued bytes as the socket takes now; over TLS, first pushes on records that an earlier
     * write left. Sender thread (or the registrar before it).
     *
     * @return true when nothing is left queued ({@link #hasQueued()} is false).
     * @throws IOException when the connection failed.
     */
    boolean flush() throws IOException
    {
        if (null != tls && tls.hasPendingOutput())
        {
            tls.flush();
        }
        if (writeBuffer.position() == 0)
        {
            return !hasQueued();
        }
        writeBuffer.flip();
        try
        {
            io.write(writeBuffer);
        }
        finally
        {
            writeBuffer.compact();
        }
        return !hasQueued();
    }

    /** @return true while bytes are queued: in the write buffer, or over TLS in records not yet on the socket. */
    boolean hasQueued()
    {
        return writeBuffer.position() > 0 || (null != tls && tls.hasPendingOutput());
    }

    /**
     * Closes the socket alone, so that the other agent's next read or write on it fails; {@link #close()} frees the
     * rest after the agents have stopped. Any thread.
     */
    void closeSocket()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // Closing a connection already lost.
        }
    }

    /** Closes this connection and its publisher connection, if any. After the agents have stopped. */
    @Override
    public void close()
    {
        try
        {
            if (null != tls)
            {
                tls.close(); // sends close_notify if it can, and gives its buffers back
            }
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
