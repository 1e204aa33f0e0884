/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

import org.agrona.concurrent.status.AtomicCounter;

/**
 * One accepted TCP connection. Created by the acceptor; its fields are grouped by the one thread that writes them.
 * <pre>
 *   acceptor ──(new-connection queue)──▶ reader-N ──(InboundSink: Disruptor)──▶ broker
 *       │                                                                          │ writes bytes into
 *       │ (adopt queue: closed by its writer at the latest when it stops)          ▼
 *       └──────────────────────────────────▶ writer-M ◀──(work queue)── {@link #outbound()} ring
 * </pre>
 * <ul>
 *   <li>reader: {@code partial}, {@code handoff} (once handed over), {@code named}, {@code inputEnded},
 *       {@code lastReadNs}, {@code inputFailure}, and its deadlines' {@code partialSinceNs}, {@code partialTracked},
 *       {@code writesSeen}, {@code quietSinceNs}.</li>
 *   <li>broker (the event handler): the producer side of {@link #outbound()}, and
 *       {@link #requestClose(CloseMode)}; its own per-connection state it keeps by {@link #slot()}.</li>
 *   <li>writer: {@code unwritten}, {@code writeStamps}, {@code writerKey}, {@code writerSlot}, {@code inAgain},
 *       {@code closed}, {@code writes},
 *       {@code writeFailure}, and the consumer side of the outbound ring; in the shared threading mode its
 *       {@code SharedSelectorWriteInterest} also sets {@code OP_WRITE} on {@code readerKey} (same thread).</li>
 * </ul>
 * The agent that closes it (its writer, or the authenticator before the hand-over) owns the {@link LingeringClose}
 * fields. Only {@code scheduled}, {@code closeMode}, {@code writes} and the two failure texts cross threads, each with
 * its ordering stated where it is declared.
 */
public final class Connection
{
    /** How the writer should close a connection once the broker asks it to. */
    public enum CloseMode
    {
        /** Not closing. */
        NONE,
        /** Flush what is queued (typically an error reply) within the flush deadline, then close. */
        FLUSH,
        /** Discard what is queued and close now: the peer has gone. */
        DISCARD,
        /** Slow consumer: discard the backlog, send {@code error: slow consumer} if the socket takes it, close. */
        SLOW_CONSUMER
    }

    private static final VarHandle SCHEDULED;
    private static final VarHandle WRITES;

    static
    {
        try
        {
            SCHEDULED = MethodHandles.lookup().findVarHandle(Connection.class, "scheduled", boolean.class);
            WRITES = MethodHandles.lookup().findVarHandle(Connection.class, "writes", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final long id;
    private final long acceptedNs;
    private final SocketChannel channel;
    /**
     * The TLS session over {@code channel} for a connection accepted on the TLS port, null on the plain port: the one
     * branch that sends a read or a write through TLS, taken per call, never per byte. Its read side belongs to
     * whoever reads the connection (the authenticator, then the reader), its write side to the writer.
     */
    final TlsChannel tls;
    /** The channel's own remote address object, kept rather than its text: the text is made only for a log line. */
    private final SocketAddress remoteAddress;
    private final Outbound outbound;
    /** Its slot, handed back to {@link ConnectionSlots} once closed. */
    final ConnectionSlots.Slot slot;
    private final int readerIndex;
    private final int writerIndex;

    // reader-owned
    /**
     * The bytes of a line begun but not yet complete, in fill mode (position = bytes kept), from the reader's (or,
     * before the hand-over, the authenticator's) {@link BufferPool}; null between lines, which is most of the time.
     */
    ByteBuffer partial;
    /**
     * Bytes the authenticator read and the reader is to frame first: the first line cut to {@code name\n} and
     * whatever followed it. Written by the authenticator before it hands the connection over; null otherwise.
     */
    byte[] handoff;
    /** How much of {@code handoff} the reader has framed. */
    int handoffOffset;
    boolean named;
    /**
     * The line being framed (kept partial part included) may hold a control character: the reader's newline scan saw
     * a byte that could be one, so the line gets {@link Protocol#indexOfControl}'s exact check once it is complete.
     */
    boolean lineMayHoldControl;
    boolean inputEnded;
    int pendingDisconnectReason = -1;
    SelectionKey readerKey;
    /** {@link System#nanoTime()} just after the latest socket read; stamps every line framed from that read. */
    long lastReadNs;
    /** {@link System#nanoTime()} of the read that began the partial line kept now; meaningful while it is kept. */
    long partialSinceNs;
    /** In its reader's list of connections with a partial line under the deadline. */
    boolean partialTracked;
    /** The reader's latest idle check: {@code writes} as seen then, and since when nothing moved either way. */
    long writesSeen;
    long quietSinceNs;
    /** In the reader's list of TLS connections to read again without the selector: see {@code Reader}. */
    boolean tlsAgain;

    // authenticator-owned, before the connection is handed to its reader
    SelectionKey authKey;

    // writer-owned
    /**
     * What a partial write left unwritten, in flush mode, from the writer's {@link BufferPool}; null when everything
     * staged has been written, which is most of the time. The staging buffer itself is the writer's, not the peer's.
     */
    ByteBuffer unwritten;
    /**
     * Stamps of the messages in {@code unwritten} not yet completely written, from the writer's cache; null whenever
     * {@code unwritten} is (the writer's own stamps serve a write that takes everything).
     */
    WriteStamps writeStamps;
    SelectionKey writerKey;
    /** Its index in the writer's list of connections to close at the latest when the writer stops; -1 if none. */
    int writerSlot = -1;
    /**
     * Set by {@link SharedSelectorWriteInterest}: write interest is on {@code readerKey}, which that class alone
     * touches besides the reader, on the one thread both run on.
     */
    boolean writeOnReadKey;
    /** In the writer's "again" list: it will visit once more without being scheduled, so it is not idle yet. */
    boolean inAgain;
    boolean closed;
    boolean writeFailed;
    boolean closing;
    long closeDeadlineNs;
    /**
     * Write calls that wrote something: the reader's idle check compares it with what it saw before, so the writer
     * never reads the clock for it. Written by the writer only (opaque), read by the reader (opaque).
     */
    long writes;

    // owned by whichever agent closes it (its writer, or the authenticator before the hand-over): LingeringClose
    boolean lingering;
    long lingerDeadlineNs;
    int lingerBytesLeft;

    // crossing threads
    /**
     * Set by the broker when it queues this connection for its writer ({@link #trySchedule()}); cleared by the writer
     * before draining ({@link #clearScheduled()}), after it marks the outbound busy (the order the broker's
     * reclaiming of idle outbounds relies on: {@link Outbound}). Every access is volatile, as an
     * {@code AtomicBoolean}'s are; a field and a {@link VarHandle} rather than one more object per connection.
     */
    private volatile boolean scheduled;
    /** Written by the broker before it schedules the connection; read by the writer after it takes it. */
    volatile CloseMode closeMode = CloseMode.NONE;
    /** Why the reader stopped reading; written only by the reader, before it publishes the disconnect. */
    volatile String inputFailure;
    /** Why a write failed; written only by the writer, before it shuts the input down so the reader sees the end. */
    volatile String writeFailure;

    /**
     * @param slot          its slot, from {@link ConnectionSlots}; null to make one (then the slot is the id).
     * @param outboundPool  the broker's outbound segments, which its outbound takes from on demand.
     * @param outboundTaken its writer's count of bytes taken from outbounds.
     */
    Connection(
        final long id,
        final SocketChannel channel,
        final SocketAddress remoteAddress,
        final ConnectionSlots.Slot slot,
        final OutboundSegmentPool outboundPool,
        final AtomicCounter outboundTaken,
        final int readerIndex,
        final int writerIndex)
    {
        this(id, channel, null, remoteAddress, slot, outboundPool, outboundTaken, readerIndex, writerIndex);
    }

    /**
     * @param tls the TLS session over {@code channel}, or null for a plain connection.
     */
    Connection(
        final long id,
        final SocketChannel channel,
        final TlsChannel tls,
        final SocketAddress remoteAddress,
        final ConnectionSlots.Slot slot,
        final OutboundSegmentPool outboundPool,
        final AtomicCounter outboundTaken,
        final int readerIndex,
        final int writerIndex)
    {
        this.id = id;
        this.acceptedNs = System.nanoTime();
        this.channel = channel;
        this.tls = tls;
        this.remoteAddress = remoteAddress;
        this.slot = null != slot ? slot : new ConnectionSlots.Slot((int)id);
        this.outbound = new Outbound(outboundPool, this, outboundTaken);
        this.readerIndex = readerIndex;
        this.writerIndex = writerIndex;
    }

    /** @return a number unique to this connection within one transport. Any thread. */
    public long id()
    {
        return id;
    }

    /**
     * A small number unique among open connections, below the most connections ever open at once (so below
     * max-connections): taken from the {@link ConnectionSlots} free-list by the acceptor, given back where the
     * connection is closed. A closed connection's slot is
     * taken by a later one once its writer has closed it, which happens only after the broker asked for the close
     * ({@link #closeRequested()}). Any thread.
     *
     * @return the slot.
     */
    public int slot()
    {
        return slot.index;
    }

    /**
     * @return true once the broker has asked for this connection to be closed. Broker thread (it alone asks).
     */
    public boolean closeRequested()
    {
        return closeMode != CloseMode.NONE;
    }

    /** @return {@link System#nanoTime()} when the connection was accepted. Any thread. */
    public long acceptedNs()
    {
        return acceptedNs;
    }

    /** @return the remote address as text, made afresh for a log line. Any thread. */
    public String remoteAddress()
    {
        return addressText(remoteAddress);
    }

    /**
     * The text {@link InetSocketAddress#toString()} gives for an accepted socket's address ({@code /127.0.0.1:33226}),
     * made for an IPv4 address in one presized {@link StringBuilder} rather than through the address's own text and
     * two concatenations. Only for addresses without a host name, as the acceptor's are.
     * <p>
     * Text made for every connection is built with a {@link StringBuilder} rather than by string concatenation: a
     * concatenation's first run makes classes for it, and a few more of those while peers connect can be what gets
     * the JIT to compile the JDK's class generator, some 10 MiB of compiler memory that stay resident.
     *
     * @param address a socket address, or null.
     * @return its text, {@code "unknown"} for null.
     */
    static String addressText(final SocketAddress address)
    {
        if (null == address)
        {
            return "unknown";
        }
        if (address instanceof InetSocketAddress)
        {
            final InetSocketAddress socketAddress = (InetSocketAddress)address;
            final InetAddress ip = socketAddress.getAddress();
            // An accepted socket's address carries no host name (toString would print one before the slash).
            if (ip instanceof Inet4Address)
            {
                final byte[] b = ip.getAddress();
                return new StringBuilder(22).append('/')
                    .append(b[0] & 0xFF).append('.').append(b[1] & 0xFF).append('.')
                    .append(b[2] & 0xFF).append('.').append(b[3] & 0xFF)
                    .append(':').append(socketAddress.getPort())
                    .toString();
            }
        }
        return String.valueOf(address);
    }

    /**
     * @return the outbound chain of rings: the broker is its only producer and this connection's writer its only
     * consumer.
     */
    public Outbound outbound()
    {
        return outbound;
    }

    /** @return which writer drains this connection. */
    public int writerIndex()
    {
        return writerIndex;
    }

    /** @return which reader reads this connection. */
    public int readerIndex()
    {
        return readerIndex;
    }

    /**
     * Why the connection ended, if it was an I/O error, for logs. Broker thread, after the disconnect event. A failed
     * write comes first: the writer then shuts the input down, so whatever the reader saw after it is a consequence.
     *
     * @return the failure text or null when the peer closed cleanly.
     */
    public String failure()
    {
        final String writeFailure = this.writeFailure;
        return null != writeFailure ? writeFailure : inputFailure;
    }

    /** Counts a write call that wrote something. Writer thread only; a plain store on x86, no fence. */
    void onWrote()
    {
        WRITES.setOpaque(this, writes + 1);
    }

    /** @return write calls that wrote something so far. Any thread; a snapshot. */
    long writes()
    {
        return (long)WRITES.getOpaque(this);
    }

    /** @return the remote host, for the per-address limit; null if unknown. Any thread. */
    java.net.InetAddress remoteHost()
    {
        return remoteAddress instanceof InetSocketAddress ? ((InetSocketAddress)remoteAddress).getAddress() : null;
    }

    /** @return true if the connection is queued for its writer and the writer has not taken it yet. Any thread. */
    boolean isScheduled()
    {
        return scheduled;
    }

    /** @return true if this call queued it (it was not queued): the caller must offer it to its writer. Broker. */
    boolean trySchedule()
    {
        return !(boolean)SCHEDULED.getAndSet(this, true);
    }

    /** The writer took it from its queue, or the broker could not queue it. */
    void clearScheduled()
    {
        scheduled = false;
    }

    /**
     * Asks the writer to close this connection. Broker thread only, through {@link OutboundScheduler#close}; the
     * caller must then schedule the connection with {@link OutboundScheduler#schedule(Connection)}.
     *
     * @param mode how to close.
     */
    void requestClose(final CloseMode mode)
    {
        closeMode = mode;
    }

    SocketChannel channel()
    {
        return channel;
    }

    /** Reads plaintext: from the socket, or through TLS (which also drives its handshake). Reading thread. */
    int read(final ByteBuffer dst) throws IOException
    {
        return null == tls ? channel.read(dst) : tls.read(dst);
    }

    /** Writes plaintext: to the socket, or through TLS. Writing thread. */
    int write(final ByteBuffer src) throws IOException
    {
        return null == tls ? channel.write(src) : tls.write(src);
    }

    /** Writes plaintext from several buffers: to the socket, or through TLS. Writing thread. */
    long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException
    {
        return null == tls ? channel.write(srcs, offset, length) : tls.write(srcs, offset, length);
    }

    /**
     * Closes the socket; a TLS connection first sends its {@code close_notify} if the socket takes it and gives its
     * buffers back. The thread that owns the close (the writer, or the authenticator before the hand-over).
     */
    void closeChannel() throws IOException
    {
        if (null == tls)
        {
            channel.close();
        }
        else
        {
            tls.close();
        }
    }

    /** As {@link #closeChannel()}, ignoring failures: for paths that are closing anyway. */
    void closeChannelQuietly()
    {
        try
        {
            closeChannel();
        }
        catch (final IOException ignore)
        {
            // nothing more to do
        }
    }

    /** @return true for a connection accepted on the TLS port. Any thread. */
    public boolean isTls()
    {
        return null != tls;
    }

    @Override
    public String toString()
    {
        return "connection #" + id + " from " + remoteAddress();
    }
}
