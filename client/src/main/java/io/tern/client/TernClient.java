/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A connection to a tern broker under one name: sends to one or many names, receives through handlers, reconnects
 * if asked to.
 * <pre>
 *   any thread                               polling thread of its {@link TernEventLoop}                   broker
 *   send(to, text) --claim, copy--&gt; [ send ring (many-to-one, bounded) ] --drain--&gt; write buffer --write--&gt;
 *        |   \__ then writes through itself when no other thread is writing ___/        ^                  |
 *        +--copy, when registered, the ring empty and no other thread writing-----------+                  |
 *   flush(timeout) --sync line--&gt;   (drained only while registered)                                      |
 *                                  handlers &lt;--decode (LineDecoder)-- read buffer &lt;--read----------------+
 * </pre>
 * <b>Threads.</b> Every client lives on a {@link TernEventLoop}: {@link #connect(TernClientConfig)} makes one of its
 * own, a daemon thread named {@code tern-client-NAME}; {@link #start(TernClientConfig, TernEventLoop)} shares one
 * among many clients. The loop's polling thread connects, does the TLS handshake, registers, reads, decodes, calls
 * the {@link MessageHandler}, {@link ErrorHandler} and {@link ConnectionListener} in arrival order, and reconnects.
 * <b>The send path is thread-safe</b>: {@link #send} may be called from any number of threads at once. While the
 * client is registered, nothing waits in the ring and no other thread is writing, a send copies its line straight
 * into the write buffer; otherwise it copies it into an Agrona {@link ManyToOneRingBuffer} (lock-free, bounded,
 * allocation-free). Then, if no other thread is writing to the socket, the sending thread writes to it itself (a
 * non-blocking write: what the socket does not take waits for the loop), so a send costs no hand-over to another
 * thread; otherwise the writing thread or the loop takes it. A thread's sends go out in the order it made them.
 * {@link #flush(Duration)} and {@link #close()} wait, so they must not be called from a handler (close may: it then
 * only asks the loop to close).
 * <p>
 * <b>Garbage-free path.</b> {@link #send(Destinations, DirectBuffer, int, int)} with a reused {@link Destinations}
 * and a reused buffer, and a {@link MessageHandler} that reads the {@link ReceivedMessage} flyweight, allocate
 * nothing per message on either side (plain TCP; the JDK's SSLEngine allocates per TLS record).
 * <p>
 * <b>Sends.</b> A send returns a positive id, or {@link #BACK_PRESSURED} when the send buffer is full, or
 * {@link #NOT_CONNECTED} when it is full while no connection is up, or {@link #CLOSED}. Buffered sends wait while
 * connecting and reconnecting and go out, in order, once registered; bytes already written to a connection that is
 * then lost may be lost with it (at most once). Error replies come to the {@link ErrorHandler} with the id of the
 * send that caused them where the protocol allows (docs/client.md, "Errors").
 */
public final class TernClient implements AutoCloseable
{
    /** {@link #send} could not buffer the message: the send buffer is full while no connection is up. */
    public static final long NOT_CONNECTED = -1;
    /** {@link #send} could not buffer the message: the send buffer is full (the broker takes bytes slower). */
    public static final long BACK_PRESSURED = -2;
    /** {@link #send} refused: the client is closed, or lost its connection with reconnect off. */
    public static final long CLOSED = -3;

    private static final System.Logger LOG = System.getLogger(TernClient.class.getName());
    private static final VarHandle WRITER;
    private static final VarHandle SIGNALLED;
    private static final int MSG_LINE = 1;
    private static final int MSG_SYNC = 2;
    /**
     * A line's record in the send ring: its send id (8 bytes), its destination count with whether its text holds a
     * control character above {@link #CONTROL_SHIFT} (4), its prefix length (4), then the line.
     */
    private static final int LINE_HEADER_BYTES = 16;
    /** Above any count: a line lists fewer than 2^27 names, being at most an eighth of a send buffer of 1 GiB. */
    private static final int CONTROL_SHIFT = 28;
    private static final int DESTINATION_COUNT_MASK = (1 << CONTROL_SHIFT) - 1;
    private static final long CLOSE_JOIN_MARGIN_MS = 1000;
    private static final byte[] LINE_END = {'\n'};
    /** What every sync line's text starts with; a client-chosen nonce follows, then the sync's number. */
    private static final String SYNC_TEXT = "~tern-client-sync ";
    /** Spins of a thread waiting for the write lock before it yields: its holder never blocks. */
    private static final int WRITE_LOCK_SPINS = 100;

    // Where the connection stands, on the polling thread.
    private static final int NEW = 0;
    private static final int OPENING = 1;
    private static final int HANDSHAKING = 2;
    private static final int REGISTERING = 3;
    private static final int SERVING = 4;
    private static final int WAITING = 5;
    private static final int ENDED = 6;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            WRITER = lookup.findVarHandle(TernClient.class, "writer", int.class);
            SIGNALLED = lookup.findVarHandle(TernClient.class, "signalled", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final TernClientConfig config;
    private final String name;
    private final byte[] nameBytes;
    private final InetSocketAddress address;
    private final TernEventLoop loop;
    private final boolean ownsLoop;
    private final ManyToOneRingBuffer sendRing;
    private final AtomicBuffer ringBuffer;
    private final AtomicLong nextSendId = new AtomicLong();
    private final AtomicLong nextSyncId = new AtomicLong();
    private final Object monitor = new Object();

    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile boolean closeRequested;
    /** The highest sync whose echo came back. Polling thread writes, under the monitor. */
    private volatile long syncedUpTo;
    /** The highest sync written to a connection that was then lost: its echo will never come. */
    private volatile long syncLostUpTo;
    private volatile TernClientException failure;
    /** Written by the polling thread alone; volatile for readers elsewhere. */
    private volatile long handlerFailures;
    /** 1 while a thread holds the write side: the ring's drain, the write buffer, the kept sends, socket writes. */
    @SuppressWarnings("unused")
    private volatile int writer;
    /** 1 while queued for the loop's attention. */
    @SuppressWarnings("unused")
    private volatile int signalled;
    /** The connection's socket, for {@link #cutConnection()}; written under the write lock. */
    private volatile ClientChannel channel;
    /** The TLS session while connected over TLS; else null. Written by the polling thread. */
    private volatile javax.net.ssl.SSLSession tlsSession;

    // Under the write lock (WRITER), whichever thread holds it.
    private final ByteBuffer writeBuffer;
    /** The write buffer's bytes, for lines put into it directly ({@link #putDirect}). */
    private final UnsafeBuffer writeView;
    private final PendingSends pending;
    private final ControlledMessageHandler drainer = this::onRecord;
    private final byte[] syncPrefix;
    private final byte[] helloLine;
    /** True while the connection takes lines: after the TLS handshake, until it ends. */
    private boolean writable;
    /** True once the broker routes to this client: the ring is drained only then. */
    private boolean registered;
    private long syncWritten;
    private IOException writeFailure;
    private SelectionKey key;

    // Polling thread only.
    private final ByteBuffer readBuffer;
    private final LineDecoder decoder = new LineDecoder();
    private final DecodedLines decoded = new DecodedLines();
    /** A line the protocol does not have, as the error handler gets it. */
    private final ErrorReply malformed = new ErrorReply();
    private final MessageHandler messageHandler;
    private final ErrorHandler errorHandler;
    private final ConnectionListener listener;
    private int phase = NEW;
    private int scanIndex;
    /** Whether this connection's first malformed line has been logged. */
    private boolean malformedLogged;
    private ErrorKind endedBy;
    private long attemptDeadlineNs;
    private long firstDeadlineNs;
    private long retryAtNs;
    private long delayNs;
    private long nameTakenSinceNs;
    private boolean wasRegistered;
    private Object reason;
    /** This client's place in its loop's list; -1 when not on it. */
    int loopIndex = -1;

    private TernClient(final TernClientConfig config, final TernEventLoop loop, final boolean ownsLoop)
    {
        this.config = config;
        this.name = config.name();
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.address = new InetSocketAddress(config.host(), config.port());
        this.loop = loop;
        this.ownsLoop = ownsLoop;
        this.messageHandler = config.messageHandler();
        this.errorHandler = config.errorHandler();
        this.listener = config.connectionListener();
        this.ringBuffer = new UnsafeBuffer(
            ByteBuffer.allocateDirect(config.sendBufferBytes() + RingBufferDescriptor.TRAILER_LENGTH));
        this.sendRing = new ManyToOneRingBuffer(ringBuffer);
        this.writeBuffer = ByteBuffer.allocateDirect(Math.max(64 * 1024, sendRing.maxMsgLength()));
        this.writeView = new UnsafeBuffer(writeBuffer);
        final long longestLine = io.tern.transport.Protocol.maxMessageBytes(config.maxNameBytes(), config.maxLineBytes());
        this.readBuffer = ByteBuffer.allocateDirect((int)Math.min(1 << 30, Math.max(64 * 1024, 2 * longestLine)));
        this.pending = new PendingSends(config.trackedSends(),
            config.trackedSends() * TernClientConfig.TRACKED_NAME_BYTES_PER_SEND);
        final String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        this.syncPrefix = (SYNC_TEXT + nonce + " ").getBytes(StandardCharsets.US_ASCII);
        this.helloLine = ((null == config.secret() ? name : name + " " + config.secret()) + "\n")
            .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Connects, registers the name (with its secret when set) and returns once the broker routes to it: the client
     * sends itself a sync line after its name, and its echo proves the registration. With a name taken, tries again
     * for {@code nameTakenRetry}; with reconnect on, also after other retryable failures, until the connect timeout.
     * The client gets a {@link TernEventLoop} of its own, whose thread {@code tern-client-NAME} runs until
     * {@link #close()}. Calling thread; blocks up to the connect timeout.
     *
     * @param config the settings.
     * @return the connected client.
     * @throws TernClientException when the broker refused (its reply as {@link TernClientException#kind()}), or the
     *                             connection, TLS handshake or timeout failed.
     * @throws IllegalArgumentException naming a setting that is not valid.
     */
    public static TernClient connect(final TernClientConfig config) throws TernClientException
    {
        config.conclude();
        final TernEventLoop loop = TernEventLoop.start("tern-client-" + config.name(), 1);
        final TernClient client = new TernClient(config, loop, true);
        loop.add(client);
        client.awaitConnected();
        return client;
    }

    /**
     * As {@link #connect(TernClientConfig)}, on a shared loop that has a thread of its own.
     *
     * @param config the settings.
     * @param loop   made by {@link TernEventLoop#start(String, int)}.
     * @return the connected client.
     * @throws TernClientException as {@link #connect(TernClientConfig)}.
     * @throws IllegalStateException from an invoker loop (nothing would poll it while this waits), or a full one.
     */
    public static TernClient connect(final TernClientConfig config, final TernEventLoop loop)
        throws TernClientException
    {
        if (null == loop.thread())
        {
            throw new IllegalStateException("connect waits for the loop: poll an invoker loop and use start instead");
        }
        final TernClient client = start(config, loop);
        client.awaitConnected();
        return client;
    }

    /**
     * Starts a client on a shared loop and returns at once, {@link ConnectionState#CONNECTING}: it connects and
     * registers as the loop runs (as {@link #connect(TernClientConfig)} describes), then is
     * {@link ConnectionState#CONNECTED}, or {@link ConnectionState#CLOSED} with {@link #failure()}. Sends made
     * meanwhile wait in its send buffer. Any thread.
     *
     * @param config the settings.
     * @param loop   the loop whose thread does its I/O.
     * @return the client.
     * @throws IllegalArgumentException naming a setting that is not valid.
     * @throws IllegalStateException when the loop is closed or holds its most clients.
     */
    public static TernClient start(final TernClientConfig config, final TernEventLoop loop)
    {
        config.conclude();
        final TernClient client = new TernClient(config, loop, false);
        loop.add(client);
        return client;
    }

    private void awaitConnected() throws TernClientException
    {
        final long deadlineNs = System.nanoTime() + config.connectTimeout().toNanos() +
            TimeUnit.MILLISECONDS.toNanos(CLOSE_JOIN_MARGIN_MS);
        synchronized (monitor)
        {
            while (state != ConnectionState.CONNECTED && state != ConnectionState.CLOSED)
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    break;
                }
                try
                {
                    monitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (state != ConnectionState.CONNECTED)
        {
            final TernClientException failure = this.failure;
            stop();
            throw null != failure ? failure :
                new TernClientException("not registered with " + address + " within " +
                    config.connectTimeout().toMillis() + " ms", null, null);
        }
    }

    /** @return the name this client registered. */
    public String name()
    {
        return name;
    }

    /** @return where its connection stands. Any thread. */
    public ConnectionState state()
    {
        return state;
    }

    /** @return why it is {@link ConnectionState#CLOSED}, when it failed; else null. Any thread. */
    public TernClientException failure()
    {
        return failure;
    }

    /** @return the loop whose thread does its I/O. */
    public TernEventLoop loop()
    {
        return loop;
    }

    /** @return the thread of its loop, for tests that measure its allocation. */
    Thread ioThread()
    {
        return loop.thread();
    }

    /**
     * Cuts the connection as a network failure would (the socket closed under the polling thread), for tests of
     * reconnecting. Any thread.
     */
    void cutConnection() throws IOException
    {
        final ClientChannel current = channel;
        if (null != current)
        {
            current.socket.close(); // its key is cancelled with it, so the selector will not report it:
            loop.signal(this);      // the loop finds the connection closed on its next write
        }
    }

    /**
     * @return the TLS session of the current connection while {@link ConnectionState#CONNECTED} over TLS (its
     * protocol, cipher suite and the broker's certificates), or null: a plain connection, or none. Any thread.
     */
    public javax.net.ssl.SSLSession tlsSession()
    {
        return tlsSession;
    }

    /** @return handler calls that threw; each was logged (the first) and the polling thread went on. */
    public long handlerFailures()
    {
        return handlerFailures;
    }

    /**
     * Sends text to the destinations: the garbage-free way. Thread-safe; allocates nothing; never blocks. The calling
     * thread writes the line to the socket itself when no other thread is writing ({@link #writeQueued()}).
     *
     * @param to     the destinations, made once and reused.
     * @param text   holding the text (UTF-8 or any bytes but control characters other than tab; no line end).
     * @param offset of the text's first byte.
     * @param length bytes of text.
     * @return a positive send id (error replies carry it), or {@link #BACK_PRESSURED}, {@link #NOT_CONNECTED},
     * {@link #CLOSED}.
     * @throws IllegalArgumentException when the text holds a line end, or the line is longer than the broker's
     *                                  {@code maxLineBytes} (see {@link TernClientConfig#brokerLimits}) or than an
     *                                  eighth of the send buffer.
     */
    public long send(final Destinations to, final DirectBuffer text, final int offset, final int length)
    {
        final long id = queue(to, text, offset, length);
        writeQueued();
        return id;
    }

    /**
     * Puts the line into the send buffer without writing it: for a thread that sends a batch and then writes it with
     * one {@link #writeQueued()}. Lines queued and not followed by a {@code writeQueued} (or a send) may wait until
     * something else makes this client write (another thread's send, a flush): follow a batch with
     * {@code writeQueued}. Thread-safe; allocates nothing.
     *
     * @param to     the destinations, made once and reused.
     * @param text   holding the text.
     * @param offset of the text's first byte.
     * @param length bytes of text.
     * @return as {@link #send(Destinations, DirectBuffer, int, int)}.
     */
    public long queue(final Destinations to, final DirectBuffer text, final int offset, final int length)
    {
        // One look for control characters, which the broker refuses a line for, and which include the line end.
        int textControl = PendingSends.NO_CONTROL;
        if (io.tern.transport.Protocol.indexOfControl(text, offset, offset + length) >= 0)
        {
            checkNoLineEnd(text, offset, length);
            textControl = PendingSends.refusesText(text, offset, offset + length) ?
                PendingSends.HAS_CONTROL : PendingSends.NO_CONTROL;
        }
        return put(to, text, null, offset, length, textControl);
    }

    /**
     * Sends text to the destinations. Thread-safe; allocates nothing; never blocks.
     *
     * @param to     the destinations, made once and reused.
     * @param text   holding the text.
     * @param offset of the text's first byte.
     * @param length bytes of text.
     * @return as {@link #send(Destinations, DirectBuffer, int, int)}.
     */
    public long send(final Destinations to, final byte[] text, final int offset, final int length)
    {
        for (int i = offset, end = offset + length; i < end; i++)
        {
            if (text[i] == LINE_END[0])
            {
                throw lineEndInText(i - offset);
            }
        }
        final long id = put(to, null, text, offset, length, PendingSends.CONTROL_UNKNOWN);
        if (id > 0)
        {
            writeQueued();
        }
        return id;
    }

    /**
     * Sends text to the destinations. Thread-safe; allocates the text's bytes; never blocks.
     *
     * @param to   the destinations.
     * @param text the text.
     * @return as {@link #send(Destinations, DirectBuffer, int, int)}.
     */
    public long send(final Destinations to, final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return send(to, bytes, 0, bytes.length);
    }

    /**
     * Sends text to one or many names. Thread-safe; allocates; never blocks.
     *
     * @param to   names as the protocol lists them: {@code "bob"}, {@code "bob, carol"}.
     * @param text the text.
     * @return as {@link #send(Destinations, DirectBuffer, int, int)}.
     * @throws IllegalArgumentException naming an invalid destination.
     */
    public long send(final String to, final String text)
    {
        return send(Destinations.parse(to), text);
    }

    /**
     * Writes what the send buffer holds to the socket on the calling thread, as far as the socket takes it without
     * blocking, when it can: registered, and no other thread writing. Otherwise (or for what the socket did not take)
     * the loop's thread writes it soon. Thread-safe; allocates nothing; never blocks.
     *
     * @return true when this thread wrote (or found nothing to write); false when it left the writing to the loop or
     * to the thread already writing.
     */
    public boolean writeQueued()
    {
        if (tryLockWrite())
        {
            boolean done = false;
            try
            {
                if (registered && null == writeFailure && !closeRequested)
                {
                    try
                    {
                        drainAndWrite();
                        done = writeBuffer.position() == 0 && !channel.hasPendingOutput();
                    }
                    catch (final IOException ex)
                    {
                        writeFailure = ex; // the loop ends the connection
                    }
                }
            }
            finally
            {
                unlockWrite();
            }
            if (done)
            {
                return true;
            }
        }
        loop.signal(this);
        return false;
    }

    /**
     * A line end in the text would end the line there and make the rest a line of its own, addressed to whatever
     * precedes its first ':'. Looked for only in a text already found to hold a control character.
     */
    private static void checkNoLineEnd(final DirectBuffer text, final int offset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (text.getByte(offset + i) == LINE_END[0])
            {
                throw lineEndInText(i);
            }
        }
    }

    private static IllegalArgumentException lineEndInText(final int index)
    {
        return new IllegalArgumentException("text holds a line end at index " + index + ": one send is one line");
    }

    /**
     * @return 0 when the line may be sent, or {@link #CLOSED}.
     * @throws IllegalArgumentException when the line is too long for the broker or the send buffer.
     */
    private long checkLine(final Destinations to, final int length)
    {
        if (closeRequested || state == ConnectionState.CLOSED)
        {
            return CLOSED;
        }
        final int lineBytes = to.prefixLength() + length;
        if (lineBytes > config.maxLineBytes())
        {
            throw new IllegalArgumentException("line of " + lineBytes + " bytes exceeds the broker's maxLineBytes=" +
                config.maxLineBytes() + " (see TernClientConfig.brokerLimits): the broker would close the connection");
        }
        final int recordBytes = LINE_HEADER_BYTES + lineBytes + 1;
        if (recordBytes > sendRing.maxMsgLength())
        {
            throw new IllegalArgumentException("line of " + (recordBytes - LINE_HEADER_BYTES) + " bytes exceeds " +
                (sendRing.maxMsgLength() - LINE_HEADER_BYTES) + ", an eighth of sendBufferBytes=" +
                config.sendBufferBytes() + " less a header");
        }
        return 0;
    }

    /**
     * Puts a checked text's line into the write buffer ({@link #putDirect}) or else the send ring.
     *
     * @param text  holding the text, or null for {@code bytes}.
     * @param bytes holding the text when {@code text} is null.
     * @return the send id, or {@link #BACK_PRESSURED}, {@link #NOT_CONNECTED}, {@link #CLOSED}.
     */
    private long put(
        final Destinations to,
        final DirectBuffer text,
        final byte[] bytes,
        final int offset,
        final int length,
        final int textControl)
    {
        final long refused = checkLine(to, length);
        if (0 != refused)
        {
            return refused;
        }
        final long direct = putDirect(to, text, bytes, offset, length, textControl);
        if (0 != direct)
        {
            return direct;
        }
        final int claimed = claim(to, length, textControl);
        if (claimed < 0)
        {
            return claimed;
        }
        return commit(claimed, putLine(ringBuffer, claimed + LINE_HEADER_BYTES, to.prefix(), text, bytes, offset,
            length));
    }

    /**
     * Copies a line's destination list and text, without its line end.
     *
     * @param text  holding the text, or null for {@code bytes}.
     * @param bytes holding the text when {@code text} is null.
     * @return the index after the text, where the line end goes.
     */
    private static int putLine(
        final MutableDirectBuffer dst,
        final int index,
        final byte[] prefix,
        final DirectBuffer text,
        final byte[] bytes,
        final int offset,
        final int length)
    {
        dst.putBytes(index, prefix);
        if (null != text)
        {
            dst.putBytes(index + prefix.length, text, offset, length);
        }
        else
        {
            dst.putBytes(index + prefix.length, bytes, offset, length);
        }
        return index + prefix.length + length;
    }

    /**
     * The short way for a line sent while registered with nothing in the send buffer: straight into the write buffer
     * under the write lock, without the ring's copy and drain. One thread's lines stay in order: this way is taken
     * only while the ring is empty, and only the lock's holder drains the ring.
     *
     * @param text  holding the text, or null for {@code bytes}.
     * @param bytes holding the text when {@code text} is null.
     * @param textControl whether the text holds a control character, as {@link PendingSends} takes it.
     * @return the send id, or 0 when the line must go through the ring (another thread writes, the connection is not
     * registered, lines wait in the ring, or the write buffer has no room).
     */
    private long putDirect(
        final Destinations to,
        final DirectBuffer text,
        final byte[] bytes,
        final int offset,
        final int length,
        final int textControl)
    {
        if (!tryLockWrite())
        {
            return 0;
        }
        try
        {
            final byte[] prefix = to.prefix();
            final int lineBytes = prefix.length + length + 1;
            if (!registered || null != writeFailure || closeRequested || writeBuffer.remaining() < lineBytes ||
                sendRing.size() != 0)
            {
                return 0;
            }
            final int at = writeBuffer.position();
            writeView.putByte(putLine(writeView, at, prefix, text, bytes, offset, length), LINE_END[0]);
            final long id = nextSendId.incrementAndGet();
            pending.onLine(id, writeView, at, prefix.length, lineBytes - 1, to.count(), textControl, to);
            writeBuffer.position(at + lineBytes);
            return id;
        }
        finally
        {
            unlockWrite();
        }
    }

    private int claim(final Destinations to, final int length, final int textControl)
    {
        final int lineBytes = to.prefixLength() + length;
        final int recordBytes = LINE_HEADER_BYTES + lineBytes + 1;
        final int index = sendRing.tryClaim(MSG_LINE, recordBytes);
        if (index < 0)
        {
            return (int)(state == ConnectionState.CONNECTED ? BACK_PRESSURED : NOT_CONNECTED);
        }
        ringBuffer.putInt(index + 8, to.count() | textControl << CONTROL_SHIFT);
        ringBuffer.putInt(index + 12, to.prefixLength());
        return index;
    }

    private long commit(final int index, final int lineEndIndex)
    {
        final long id = nextSendId.incrementAndGet();
        ringBuffer.putLong(index, id);
        ringBuffer.putByte(lineEndIndex, LINE_END[0]);
        sendRing.commit(index);
        return id;
    }

    /**
     * Waits until the broker has routed every message this client was asked to send before this call (from any
     * thread), and every error reply they caused has reached the {@link ErrorHandler}: the client sends itself a
     * sync line behind them and waits for its echo. Any thread but the loop's polling thread (not from a handler).
     *
     * @param timeout how long to wait.
     * @return true when done; false on timeout, when the connection was lost before the echo came (some of those
     * messages may be lost), or when the client is closed. The answer is for the connection the sync line went on:
     * messages taken by an earlier connection that was lost (written to it, or waiting in its write buffer, where a
     * line {@link #queue queued} while connected waits until written) are not covered; the
     * {@link ConnectionListener} hears of each loss.
     */
    public boolean flush(final Duration timeout)
    {
        if (loop.isPollingThread())
        {
            throw new IllegalStateException("flush() would wait for the thread calling it: not from a handler");
        }
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        final long id = nextSyncId.incrementAndGet();
        int index;
        while ((index = sendRing.tryClaim(MSG_SYNC, 8)) < 0)
        {
            if (state == ConnectionState.CLOSED || System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100)); // waiting for room, with a deadline
        }
        ringBuffer.putLong(index, id);
        sendRing.commit(index);
        writeQueued();
        synchronized (monitor)
        {
            while (syncedUpTo < id && syncLostUpTo < id && state != ConnectionState.CLOSED)
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    break;
                }
                try
                {
                    monitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            return syncedUpTo >= id;
        }
    }

    /**
     * Flushes within the close timeout (see {@link #flush(Duration)}), then closes the connection, and stops the
     * loop's thread when the loop is the client's own. Idempotent. From a handler (on the polling thread) it only asks
     * the loop to close the client after the handler returns, without flushing.
     */
    @Override
    public void close()
    {
        if (loop.isPollingThread())
        {
            closeRequested = true;
            loop.signal(this);
            return;
        }
        if (state == ConnectionState.CONNECTED && !closeRequested)
        {
            flush(config.closeTimeout());
        }
        stop();
    }

    /** Asks the loop to close the client and waits for it; stops the loop if it is the client's own. */
    private void stop()
    {
        closeRequested = true;
        loop.signal(this);
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_JOIN_MARGIN_MS);
        synchronized (monitor)
        {
            while (state != ConnectionState.CLOSED && !loop.isClosed())
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    break;
                }
                try
                {
                    monitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (ownsLoop)
        {
            loop.close();
        }
    }

    // ---------------------------------------------------------------- the write lock and the loop's signal

    private boolean tryLockWrite()
    {
        return WRITER.compareAndSet(this, 0, 1);
    }

    /** Waits for the write lock: its holder never blocks, so this spins briefly, then yields. */
    private void lockWrite()
    {
        int spins = 0;
        while (!tryLockWrite())
        {
            if (++spins < WRITE_LOCK_SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
        }
    }

    private void unlockWrite()
    {
        WRITER.setRelease(this, 0);
    }

    /** @return true when this call queued the client for its loop (it was not queued). */
    boolean markSignalled()
    {
        return SIGNALLED.compareAndSet(this, 0, 1);
    }

    void clearSignalled()
    {
        SIGNALLED.setVolatile(this, 0);
    }

    boolean hasEnded()
    {
        return phase == ENDED;
    }

    // ---------------------------------------------------------------- write side: under the write lock

    /**
     * Drains the ring (once registered) into the write buffer and writes it, until the ring is empty or the socket
     * takes no more; then wants {@code OP_WRITE} only while bytes wait for the socket.
     *
     * @return the work done: 0 for none.
     */
    private int drainAndWrite() throws IOException
    {
        int work = 0;
        int emptyReads = 0;
        while (true)
        {
            final int drained = registered ? sendRing.controlledRead(drainer) : 0;
            work += drained + write();
            if (writeBuffer.position() > 0)
            {
                break; // the socket takes no more for now
            }
            // A read that stops at the ring's end passes only the padding record there and returns 0 while records
            // wait at the ring's start: read once more before calling the ring empty.
            emptyReads = 0 == drained ? emptyReads + 1 : 0;
            if (!registered || 2 == emptyReads)
            {
                break;
            }
        }
        final boolean waiting = writeBuffer.position() > 0 || channel.hasPendingOutput();
        final int interest = SelectionKey.OP_READ | (waiting ? SelectionKey.OP_WRITE : 0);
        try
        {
            if (key.interestOps() != interest)
            {
                key.interestOps(interest);
            }
        }
        catch (final java.nio.channels.CancelledKeyException ex)
        {
            throw new ClosedChannelException();
        }
        return work;
    }

    /** @return 1 if bytes were written, else 0. */
    private int write() throws IOException
    {
        if (writeBuffer.position() == 0 && !channel.hasPendingOutput())
        {
            return 0;
        }
        writeBuffer.flip();
        try
        {
            return channel.write(writeBuffer) > 0 ? 1 : 0;
        }
        finally
        {
            writeBuffer.compact();
        }
    }

    /** Copies one ring record into the write buffer, or stops the drain while it has no room. */
    private ControlledMessageHandler.Action onRecord(
        final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (msgTypeId == MSG_SYNC)
        {
            if (writeBuffer.remaining() < nameBytes.length + 2 + syncPrefix.length + 20 + 1)
            {
                return ControlledMessageHandler.Action.ABORT;
            }
            putSyncLine(buffer.getLong(index));
            return ControlledMessageHandler.Action.CONTINUE;
        }
        final int lineBytes = length - LINE_HEADER_BYTES;
        if (writeBuffer.remaining() < lineBytes)
        {
            return ControlledMessageHandler.Action.ABORT;
        }
        final int lineIndex = index + LINE_HEADER_BYTES;
        final int countAndControl = buffer.getInt(index + 8);
        pending.onLine(buffer.getLong(index), buffer, lineIndex, buffer.getInt(index + 12), lineBytes - 1,
            countAndControl & DESTINATION_COUNT_MASK, countAndControl >>> CONTROL_SHIFT, null);
        final int at = writeBuffer.position();
        buffer.getBytes(lineIndex, writeBuffer, at, lineBytes);
        writeBuffer.position(at + lineBytes);
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** Writes {@code NAME: ~tern-client-sync NONCE ID\n}, which the broker routes back to this client. */
    private void putSyncLine(final long id)
    {
        writeBuffer.put(nameBytes).put((byte)':').put((byte)' ').put(syncPrefix);
        putDecimal(writeBuffer, id);
        writeBuffer.put(LINE_END[0]);
        pending.onSync();
        syncWritten = Math.max(syncWritten, id);
    }

    private static void putDecimal(final ByteBuffer buffer, final long value)
    {
        long divisor = 1;
        while (value / divisor >= 10)
        {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10)
        {
            buffer.put((byte)('0' + (value / divisor) % 10));
        }
    }

    // ---------------------------------------------------------------- polling thread

    /** The loop was signalled for this client: start it, close it, or write what waits. */
    int onSignal(final long nowNs)
    {
        if (phase == ENDED)
        {
            return 0;
        }
        if (closeRequested)
        {
            end();
            return 1;
        }
        if (phase == NEW)
        {
            firstDeadlineNs = nowNs + config.connectTimeout().toNanos();
            delayNs = config.reconnectMinDelay().toNanos();
            startAttempt(nowNs);
            return 1;
        }
        return serviceWrites();
    }

    /** The socket is ready for what the phase waits for. */
    int onReady(final int readyOps, final long nowNs)
    {
        int work = 1;
        try
        {
            switch (phase)
            {
                case OPENING:
                    if (channel.finishConnect())
                    {
                        onConnected();
                    }
                    break;

                case HANDSHAKING:
                    handshake();
                    break;

                case REGISTERING:
                case SERVING:
                    work = 0;
                    if ((readyOps & SelectionKey.OP_WRITE) != 0)
                    {
                        work += serviceWrites();
                    }
                    if ((readyOps & SelectionKey.OP_READ) != 0 && (phase == REGISTERING || phase == SERVING))
                    {
                        final int read = read();
                        if (read < 0)
                        {
                            connectionEnded(null != endedBy ? endedBy : new ClosedChannelException());
                        }
                        else if (null != endedBy)
                        {
                            connectionEnded(endedBy);
                        }
                        work += Math.max(1, read);
                    }
                    break;

                default:
                    work = 0;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            connectionEnded(null != endedBy ? endedBy : ex);
        }
        if (closeRequested && phase != ENDED)
        {
            end();
        }
        return work;
    }

    /** @return when this client next wants a timer; {@link Long#MAX_VALUE} for never. */
    long onTimer(final long nowNs)
    {
        switch (phase)
        {
            case OPENING:
            case HANDSHAKING:
            case REGISTERING:
                if (nowNs - attemptDeadlineNs >= 0)
                {
                    connectionEnded(new IOException(phase == REGISTERING ?
                        "no registration echo within " + config.connectTimeout().toMillis() + " ms" :
                        "timed out connecting to " + address));
                }
                break;

            case WAITING:
                if (nowNs - retryAtNs >= 0)
                {
                    startAttempt(nowNs);
                }
                break;

            default:
                break;
        }
        return nextDeadlineNs();
    }

    private long nextDeadlineNs()
    {
        switch (phase)
        {
            case OPENING:
            case HANDSHAKING:
            case REGISTERING:
                return attemptDeadlineNs;
            case WAITING:
                return retryAtNs;
            default:
                return Long.MAX_VALUE;
        }
    }

    /** The loop closes: this client ends at once. */
    void endNow()
    {
        closeRequested = true;
        end();
    }

    private int serviceWrites()
    {
        if (phase != REGISTERING && phase != SERVING)
        {
            return 0;
        }
        IOException failed;
        int work = 0;
        lockWrite();
        try
        {
            failed = writeFailure;
            if (null == failed)
            {
                try
                {
                    work = drainAndWrite();
                }
                catch (final IOException ex)
                {
                    failed = ex;
                }
            }
        }
        finally
        {
            unlockWrite();
        }
        if (null != failed)
        {
            connectionEnded(null != endedBy ? endedBy : failed);
            return 1;
        }
        return work;
    }

    private void startAttempt(final long nowNs)
    {
        setState(ConnectionState.CONNECTING, reason);
        endedBy = null;
        scanIndex = 0;
        readBuffer.clear();
        malformedLogged = false;
        attemptDeadlineNs = nowNs + config.connectTimeout().toNanos();
        loop.timerAt(attemptDeadlineNs);
        try
        {
            final ClientChannel opened = ClientChannel.open(address);
            lockWrite();
            try
            {
                channel = opened;
                writeBuffer.clear();
                pending.clear();
                writeFailure = null;
                registered = false;
                key = opened.socket.register(loop.selector(), SelectionKey.OP_CONNECT, this);
            }
            finally
            {
                unlockWrite();
            }
            phase = OPENING;
            if (opened.finishConnect())
            {
                onConnected();
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            phase = OPENING;
            connectionEnded(ex);
        }
    }

    private void onConnected() throws IOException
    {
        if (null == config.tls())
        {
            startRegistration();
            return;
        }
        channel.startTls(config.tls(), config.tlsServerName());
        phase = HANDSHAKING;
        handshake();
    }

    private void handshake() throws IOException
    {
        if (channel.handshake(readBuffer))
        {
            startRegistration();
        }
        else
        {
            key.interestOps(SelectionKey.OP_READ | (channel.hasPendingOutput() ? SelectionKey.OP_WRITE : 0));
        }
    }

    /** Writes the name line and a sync line addressed to this client: its echo proves the registration. */
    private void startRegistration() throws IOException
    {
        phase = REGISTERING;
        lockWrite();
        try
        {
            writeBuffer.put(helloLine);
            putSyncLine(0);
            drainAndWrite();
        }
        finally
        {
            unlockWrite();
        }
    }

    /** @return 1 if bytes were read, 0 if none, -1 at the end of the stream. */
    private int read() throws IOException
    {
        int work = 0;
        while (true)
        {
            final int n = channel.read(readBuffer);
            if (n < 0)
            {
                return -1;
            }
            if (n == 0)
            {
                return work;
            }
            work = 1;
            decoder.readTimeNs(System.nanoTime());
            final int limit = readBuffer.position();
            final int consumed = decoder.decode(readBuffer, limit, scanIndex, decoded);
            if (consumed > 0)
            {
                readBuffer.limit(limit).position(consumed);
                readBuffer.compact();
            }
            else if (limit == readBuffer.capacity())
            {
                throw new IOException("a line longer than the read buffer (" + readBuffer.capacity() + " bytes): " +
                    "is the broker's --max-line-bytes above brokerLimits' maxLineBytes=" + config.maxLineBytes() + "?");
            }
            scanIndex = readBuffer.position();
            if (null != endedBy || closeRequested || (readBuffer.hasRemaining() && !channel.hasBufferedInput()))
            {
                return work;
            }
        }
    }

    /**
     * Closes the connection, then decides, as the reconnect rules say, whether to wait and try again or to close.
     *
     * @param why the closing {@link ErrorKind}, or an exception.
     */
    private void connectionEnded(final Object why)
    {
        final boolean wasRegisteredNow = releaseConnection();
        reason = why;
        if (closeRequested)
        {
            end();
            return;
        }
        wasRegistered |= wasRegisteredNow;
        if (wasRegisteredNow)
        {
            delayNs = config.reconnectMinDelay().toNanos();
            nameTakenSinceNs = 0;
        }
        final long nowNs = System.nanoTime();
        if (why instanceof ErrorKind && !((ErrorKind)why).isRetryable())
        {
            failure = new TernClientException("the broker refused " + name + ": " + why, (ErrorKind)why, null);
            end();
            return;
        }
        if (why == ErrorKind.NAME_TAKEN)
        {
            if (0 == nameTakenSinceNs)
            {
                nameTakenSinceNs = nowNs;
            }
            if (nowNs - nameTakenSinceNs > config.nameTakenRetry().toNanos())
            {
                failure = new TernClientException("name '" + name + "' is still taken after " +
                    config.nameTakenRetry().toMillis() + " ms", ErrorKind.NAME_TAKEN, null);
                end();
                return;
            }
        }
        else if (!config.reconnect() || (!wasRegistered && nowNs - firstDeadlineNs >= 0))
        {
            failure = new TernClientException((wasRegistered ? "connection lost: " : "cannot connect to " +
                address + ": ") + why, why instanceof ErrorKind ? (ErrorKind)why : null,
                why instanceof Throwable ? (Throwable)why : null);
            end();
            return;
        }
        if (!wasRegistered && nowNs - firstDeadlineNs >= 0)
        {
            failure = new TernClientException("not registered within " + config.connectTimeout().toMillis() +
                " ms: " + why, why instanceof ErrorKind ? (ErrorKind)why : null, null);
            end();
            return;
        }
        setState(ConnectionState.DISCONNECTED, why);
        // Equal jitter: half the back-off fixed, half random, so clients cut at once do not return at once.
        retryAtNs = nowNs + delayNs / 2 + ThreadLocalRandom.current().nextLong(delayNs / 2 + 1);
        delayNs = Math.min(config.reconnectMaxDelay().toNanos(), delayNs * 2);
        phase = WAITING;
        loop.timerAt(retryAtNs);
    }

    /**
     * Closes the socket, drops what waited in the write buffer, and tells waiting flushes their syncs are lost.
     *
     * @return true when the connection was registered.
     */
    private boolean releaseConnection()
    {
        final boolean wasRegisteredNow;
        final long lostUpTo;
        lockWrite();
        try
        {
            wasRegisteredNow = registered;
            registered = false;
            tlsSession = null;
            writeFailure = null;
            if (null != key)
            {
                key.cancel();
                key = null;
            }
            if (null != channel)
            {
                channel.close();
                channel = null;
            }
            writeBuffer.clear();
            pending.clear();
            lostUpTo = syncWritten;
        }
        finally
        {
            unlockWrite();
        }
        if (lostUpTo > syncLostUpTo)
        {
            synchronized (monitor)
            {
                syncLostUpTo = lostUpTo;
                monitor.notifyAll();
            }
        }
        return wasRegisteredNow;
    }

    /** Closes for good: off the loop, {@link ConnectionState#CLOSED}; the loop too when it is the client's own. */
    private void end()
    {
        if (phase == ENDED)
        {
            return;
        }
        releaseConnection();
        phase = ENDED;
        loop.remove(this);
        setState(ConnectionState.CLOSED, null != failure ? failure : reason);
        if (ownsLoop)
        {
            loop.close();
        }
    }

    private void setState(final ConnectionState newState, final Object reason)
    {
        if (state == newState)
        {
            return;
        }
        synchronized (monitor)
        {
            state = newState;
            monitor.notifyAll();
        }
        try
        {
            listener.onStateChange(this, newState, reason);
        }
        catch (final Throwable t)
        {
            onHandlerFailure(t);
        }
    }

    private void onSyncEcho(final long id)
    {
        lockWrite();
        try
        {
            pending.onSyncEchoed();
            if (0 == id)
            {
                registered = true;
            }
        }
        finally
        {
            unlockWrite();
        }
        if (0 == id)
        {
            phase = SERVING;
            tlsSession = channel.tlsSession(); // before CONNECTED: a thread that sees CONNECTED sees the session
            setState(ConnectionState.CONNECTED, null);
            loop.signal(this); // the sends that waited for the registration: after this read
            return;
        }
        if (id > syncedUpTo)
        {
            synchronized (monitor)
            {
                syncedUpTo = id;
                monitor.notifyAll();
            }
        }
    }

    private void onHandlerFailure(final Throwable t)
    {
        final long failures = handlerFailures;
        handlerFailures = failures + 1; // single writer
        if (failures == 0)
        {
            LOG.log(System.Logger.Level.WARNING, "a handler of tern client '" + name + "' threw; later ones are " +
                "counted, not logged (handlerFailures())", t);
        }
    }

    /** What each decoded line means to this client. Polling thread. */
    private final class DecodedLines implements LineDecoder.Handler
    {
        @Override
        public void onMessage(final ReceivedMessage message)
        {
            if (message.senderEquals(nameBytes) && message.textLength() > syncPrefix.length &&
                LineDecoder.startsWith(message.buffer(), message.textOffset(),
                    message.textOffset() + message.textLength(), syncPrefix))
            {
                final int digits = message.textOffset() + syncPrefix.length;
                final long id = LineDecoder.parseDecimal(message.buffer(), digits,
                    message.textOffset() + message.textLength());
                if (id >= 0)
                {
                    onSyncEcho(id);
                    return;
                }
            }
            try
            {
                messageHandler.onMessage(message);
            }
            catch (final Throwable t)
            {
                onHandlerFailure(t);
            }
        }

        @Override
        public void onError(final ErrorReply error)
        {
            final ErrorKind kind = error.kind();
            if (kind.isPerSend())
            {
                lockWrite();
                try
                {
                    error.sendId(pending.attribute(error));
                }
                finally
                {
                    unlockWrite();
                }
            }
            if (kind.closesConnection())
            {
                endedBy = kind;
            }
            try
            {
                errorHandler.onError(error);
            }
            catch (final Throwable t)
            {
                onHandlerFailure(t);
            }
        }

        @Override
        public void onMalformedLine(final ByteBuffer buffer, final int start, final int end)
        {
            if (!malformedLogged)
            {
                malformedLogged = true; // once per connection: the error handler hears of every one
                LOG.log(System.Logger.Level.WARNING, "tern client '" + name + "' got a line the protocol does not " +
                    "have (further ones on this connection go to the error handler only): " +
                    ReceivedMessage.string(buffer, start, Math.min(end - start, 120)));
            }
            malformed.wrap(ErrorKind.MALFORMED_LINE, buffer, start, end - start, start, end - start, -1);
            onError(malformed);
        }
    }

    @Override
    public String toString()
    {
        return "TernClient{" + name + "@" + address + ", " + state + "}";
    }
}
