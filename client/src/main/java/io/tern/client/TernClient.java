/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.client;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A connection to a tern broker under one name: sends to one or many names, receives through handlers, reconnects
 * if asked to.
 * <pre>
 *   any thread                         I/O thread "tern-client-NAME"                     broker
 *   send(to, text) --claim, copy--&gt;  [ send ring (many-to-one, bounded) ] --drain--&gt; write buffer --write--&gt;
 *   flush(timeout)  --sync line--&gt;      (drained only while CONNECTED)                                  |
 *                                    handlers &lt;--decode (LineDecoder)-- read buffer &lt;--read-------------+
 * </pre>
 * <b>Threads.</b> One I/O thread per client, named {@code tern-client-NAME}, a daemon, owns the socket, both
 * buffers, the decoder and the reconnect loop; it calls the {@link MessageHandler}, {@link ErrorHandler} and
 * {@link ConnectionListener} in arrival order. <b>The send path is thread-safe</b>: {@link #send} may be called from
 * any number of threads at once. Each send copies its line into an Agrona {@link ManyToOneRingBuffer} (lock-free,
 * bounded, allocation-free) that the I/O thread drains into the socket; a thread's sends go out in the order it made
 * them. {@link #flush(Duration)} and {@link #close()} wait, so they must not be called from a handler (close may:
 * it then only asks the I/O thread to stop).
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
    private static final int MSG_LINE = 1;
    private static final int MSG_SYNC = 2;
    /** A line record: send id (8), destination count (4), prefix length (4), then the line with its line end. */
    private static final int LINE_HEADER_BYTES = 16;
    private static final long IDLE_SELECT_MS = 100;
    private static final long CLOSE_JOIN_MARGIN_MS = 1000;
    private static final byte[] LINE_END = {'\n'};
    private static final long LINE_ENDS = 0x0A0A_0A0A_0A0A_0A0AL;
    private static final long LOW_SEVEN_BITS = 0x7F7F_7F7F_7F7F_7F7FL;
    /** What every sync line's text starts with; a client-chosen nonce follows, then the sync's number. */
    private static final String SYNC_TEXT = "~tern-client-sync ";

    private final TernClientConfig config;
    private final String name;
    private final byte[] nameBytes;
    private final InetSocketAddress address;
    private final ManyToOneRingBuffer sendRing;
    private final AtomicBuffer ringBuffer;
    private final AtomicLong nextSendId = new AtomicLong();
    private final AtomicLong nextSyncId = new AtomicLong();
    private final Object monitor = new Object();
    private final Thread ioThread;
    private final Selector selector;

    private volatile ConnectionState state = ConnectionState.CONNECTING;
    private volatile boolean closeRequested;
    private volatile boolean idle;
    /** The highest sync whose echo came back. I/O thread writes, under the monitor. */
    private volatile long syncedUpTo;
    /** The highest sync written to a connection that was then lost: its echo will never come. */
    private volatile long syncLostUpTo;
    private volatile TernClientException failure;

    // I/O thread only.
    private final byte[] syncPrefix;
    private final byte[] helloLine;
    private final ByteBuffer readBuffer;
    private final ByteBuffer writeBuffer;
    private final LineDecoder decoder = new LineDecoder();
    private final PendingSends pending = new PendingSends(4096, 64 * 1024);
    private final DecodedLines decoded = new DecodedLines();
    private final ControlledMessageHandler drainer = this::onRecord;
    private final Consumer<SelectionKey> onReady = key -> { };
    private final MessageHandler messageHandler;
    private final ErrorHandler errorHandler;
    private final ConnectionListener listener;
    private volatile ClientChannel channel;
    private SelectionKey key;
    private int scanIndex;
    private boolean registered;
    private ErrorKind endedBy;
    private long syncWritten;
    /** Written by the I/O thread alone; volatile for readers elsewhere. */
    private volatile long handlerFailures;

    private TernClient(final TernClientConfig config) throws IOException
    {
        this.config = config;
        this.name = config.name();
        this.nameBytes = name.getBytes(StandardCharsets.UTF_8);
        this.address = new InetSocketAddress(config.host(), config.port());
        this.messageHandler = config.messageHandler();
        this.errorHandler = config.errorHandler();
        this.listener = config.connectionListener();
        this.ringBuffer = new UnsafeBuffer(
            ByteBuffer.allocateDirect(config.sendBufferBytes() + RingBufferDescriptor.TRAILER_LENGTH));
        this.sendRing = new ManyToOneRingBuffer(ringBuffer);
        this.writeBuffer = ByteBuffer.allocateDirect(Math.max(64 * 1024, sendRing.maxMsgLength()));
        final long longestLine = io.tern.transport.Protocol.maxMessageBytes(config.maxNameBytes(), config.maxLineBytes());
        this.readBuffer = ByteBuffer.allocateDirect((int)Math.min(1 << 30, Math.max(64 * 1024, 2 * longestLine)));
        final String nonce = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        this.syncPrefix = (SYNC_TEXT + nonce + " ").getBytes(StandardCharsets.US_ASCII);
        this.helloLine = ((null == config.secret() ? name : name + " " + config.secret()) + "\n")
            .getBytes(StandardCharsets.UTF_8);
        this.selector = Selector.open();
        this.ioThread = new Thread(this::run, "tern-client-" + name);
        this.ioThread.setDaemon(true);
    }

    /**
     * Connects, registers the name (with its secret when set) and returns once the broker routes to it: the client
     * sends itself a sync line after its name, and its echo proves the registration. With a name taken, tries again
     * for {@code nameTakenRetry}; with reconnect on, also after other retryable failures, until the connect timeout.
     * Calling thread; blocks up to the connect timeout.
     *
     * @param config the settings.
     * @return the connected client; its I/O thread runs until {@link #close()}.
     * @throws TernClientException when the broker refused (its reply as {@link TernClientException#kind()}), or the
     *                             connection, TLS handshake or timeout failed.
     * @throws IllegalArgumentException naming a setting that is not valid.
     */
    public static TernClient connect(final TernClientConfig config) throws TernClientException
    {
        config.conclude();
        final TernClient client;
        try
        {
            client = new TernClient(config);
        }
        catch (final IOException ex)
        {
            throw new TernClientException("cannot open a selector: " + ex, null, ex);
        }
        client.ioThread.start();
        final long deadlineNs = System.nanoTime() + config.connectTimeout().toNanos() +
            TimeUnit.MILLISECONDS.toNanos(CLOSE_JOIN_MARGIN_MS);
        synchronized (client.monitor)
        {
            while (client.state != ConnectionState.CONNECTED && client.state != ConnectionState.CLOSED)
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    break;
                }
                try
                {
                    client.monitor.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (client.state != ConnectionState.CONNECTED)
        {
            final TernClientException failure = client.failure;
            client.stop();
            throw null != failure ? failure :
                new TernClientException("not registered with " + client.address + " within " +
                    config.connectTimeout().toMillis() + " ms", null, null);
        }
        return client;
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

    /** @return the I/O thread, for tests that measure its allocation. */
    Thread ioThread()
    {
        return ioThread;
    }

    /**
     * Cuts the connection as a network failure would (the socket closed under the I/O thread), for tests of
     * reconnecting. Any thread.
     */
    void cutConnection() throws IOException
    {
        final ClientChannel current = channel;
        if (null != current)
        {
            current.socket.close();
        }
    }

    /** @return handler calls that threw; each was logged (the first) and the I/O thread went on. */
    public long handlerFailures()
    {
        return handlerFailures;
    }

    /**
     * Sends text to the destinations: the garbage-free way. Thread-safe; allocates nothing; never blocks.
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
        checkNoLineEnd(text, offset, length);
        final int claimed = claim(to, length);
        if (claimed < 0)
        {
            return claimed;
        }
        final byte[] prefix = to.prefix();
        final int lineIndex = claimed + LINE_HEADER_BYTES;
        ringBuffer.putBytes(lineIndex, prefix);
        ringBuffer.putBytes(lineIndex + prefix.length, text, offset, length);
        return commit(claimed, lineIndex + prefix.length + length);
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
        final int claimed = claim(to, length);
        if (claimed < 0)
        {
            return claimed;
        }
        final byte[] prefix = to.prefix();
        final int lineIndex = claimed + LINE_HEADER_BYTES;
        ringBuffer.putBytes(lineIndex, prefix);
        ringBuffer.putBytes(lineIndex + prefix.length, text, offset, length);
        return commit(claimed, lineIndex + prefix.length + length);
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
     * A line end in the text would end the line there and make the rest a line of its own, addressed to whatever
     * precedes its first ':'. Eight bytes a step, as the decoder scans.
     */
    private static void checkNoLineEnd(final DirectBuffer text, final int offset, final int length)
    {
        int i = 0;
        for (final int words = length - Long.BYTES; i <= words; i += Long.BYTES)
        {
            final long word = text.getLong(offset + i, java.nio.ByteOrder.LITTLE_ENDIAN) ^ LINE_ENDS;
            if (~(((word & LOW_SEVEN_BITS) + LOW_SEVEN_BITS) | word | LOW_SEVEN_BITS) != 0)
            {
                break; // a line end in this word: found below
            }
        }
        for (; i < length; i++)
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

    private int claim(final Destinations to, final int length)
    {
        if (closeRequested || state == ConnectionState.CLOSED)
        {
            return (int)CLOSED;
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
        final int index = sendRing.tryClaim(MSG_LINE, recordBytes);
        if (index < 0)
        {
            return (int)(state == ConnectionState.CONNECTED ? BACK_PRESSURED : NOT_CONNECTED);
        }
        ringBuffer.putInt(index + 8, to.count());
        ringBuffer.putInt(index + 12, to.prefixLength());
        return index;
    }

    private long commit(final int index, final int lineEndIndex)
    {
        final long id = nextSendId.incrementAndGet();
        ringBuffer.putLong(index, id);
        ringBuffer.putByte(lineEndIndex, LINE_END[0]);
        sendRing.commit(index);
        wakeIfIdle();
        return id;
    }

    private void wakeIfIdle()
    {
        // Pairs with the I/O thread's 'idle = true', fence, then ring check: one of us sees the other, so a send is
        // never left waiting for the idle timeout.
        VarHandle.fullFence();
        if (idle)
        {
            selector.wakeup();
        }
    }

    /**
     * Waits until the broker has routed every message this client was asked to send before this call (from any
     * thread), and every error reply they caused has reached the {@link ErrorHandler}: the client sends itself a
     * sync line behind them and waits for its echo. Any thread but the I/O thread (not from a handler).
     *
     * @param timeout how long to wait.
     * @return true when done; false on timeout, when the connection was lost before the echo came (some of those
     * messages may be lost), or when the client is closed.
     */
    public boolean flush(final Duration timeout)
    {
        if (Thread.currentThread() == ioThread)
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
        wakeIfIdle();
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
     * Flushes within the close timeout (see {@link #flush(Duration)}), then closes the connection and stops the I/O
     * thread. Idempotent. From a handler (on the I/O thread) it only asks the I/O thread to stop after the handler
     * returns, without flushing.
     */
    @Override
    public void close()
    {
        if (Thread.currentThread() == ioThread)
        {
            closeRequested = true;
            return;
        }
        if (state == ConnectionState.CONNECTED && !closeRequested)
        {
            flush(config.closeTimeout());
        }
        stop();
    }

    private void stop()
    {
        closeRequested = true;
        selector.wakeup();
        try
        {
            ioThread.join(CLOSE_JOIN_MARGIN_MS + config.connectTimeout().toMillis());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- I/O thread

    private void run()
    {
        final long firstDeadlineNs = System.nanoTime() + config.connectTimeout().toNanos();
        long delayNs = config.reconnectMinDelay().toNanos();
        long nameTakenSinceNs = 0;
        boolean wasRegistered = false;
        Object reason = null;
        try
        {
            while (!closeRequested)
            {
                setState(ConnectionState.CONNECTING, reason);
                reason = connectAndServe();
                if (closeRequested)
                {
                    break;
                }
                wasRegistered |= registered;
                if (registered)
                {
                    delayNs = config.reconnectMinDelay().toNanos();
                    nameTakenSinceNs = 0;
                }
                final long nowNs = System.nanoTime();
                if (reason instanceof ErrorKind && !((ErrorKind)reason).isRetryable())
                {
                    failure = new TernClientException("the broker refused " + name + ": " + reason, (ErrorKind)reason,
                        null);
                    break;
                }
                if (reason == ErrorKind.NAME_TAKEN)
                {
                    if (0 == nameTakenSinceNs)
                    {
                        nameTakenSinceNs = nowNs;
                    }
                    if (nowNs - nameTakenSinceNs > config.nameTakenRetry().toNanos())
                    {
                        failure = new TernClientException("name '" + name + "' is still taken after " +
                            config.nameTakenRetry().toMillis() + " ms", ErrorKind.NAME_TAKEN, null);
                        break;
                    }
                }
                else if (!config.reconnect() || (!wasRegistered && nowNs - firstDeadlineNs >= 0))
                {
                    failure = new TernClientException((wasRegistered ? "connection lost: " : "cannot connect to " +
                        address + ": ") + reason, reason instanceof ErrorKind ? (ErrorKind)reason : null,
                        reason instanceof Throwable ? (Throwable)reason : null);
                    break;
                }
                if (!wasRegistered && nowNs - firstDeadlineNs >= 0)
                {
                    failure = new TernClientException("not registered within " + config.connectTimeout().toMillis() +
                        " ms: " + reason, reason instanceof ErrorKind ? (ErrorKind)reason : null, null);
                    break;
                }
                setState(ConnectionState.DISCONNECTED, reason);
                // Equal jitter: half the back-off fixed, half random, so clients cut at once do not return at once.
                waitUntil(nowNs + delayNs / 2 + ThreadLocalRandom.current().nextLong(delayNs / 2 + 1));
                delayNs = Math.min(config.reconnectMaxDelay().toNanos(), delayNs * 2);
            }
        }
        catch (final Throwable t)
        {
            failure = new TernClientException("the I/O thread failed: " + t, null, t);
            reason = t;
        }
        finally
        {
            closeChannel();
            try
            {
                selector.close();
            }
            catch (final IOException ignore)
            {
                // Stopping.
            }
            setState(ConnectionState.CLOSED, null != failure ? failure : reason);
        }
    }

    /** Waits for the back-off to pass, or until close is asked. Sends meanwhile stay in the ring. */
    private void waitUntil(final long untilNs) throws IOException
    {
        long remainingNs;
        while (!closeRequested && (remainingNs = untilNs - System.nanoTime()) > 0)
        {
            selector.select(onReady, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNs)));
        }
    }

    /** @return why the connection ended: the closing {@link ErrorKind}, an exception, or null on close. */
    private Object connectAndServe()
    {
        registered = false;
        endedBy = null;
        scanIndex = 0;
        readBuffer.clear();
        writeBuffer.clear();
        pending.clear();
        final long deadlineNs = System.nanoTime() + config.connectTimeout().toNanos();
        try
        {
            channel = ClientChannel.open(address, config.tls(), config.tlsServerName(), readBuffer, deadlineNs);
            key = channel.socket.register(selector, SelectionKey.OP_READ);
            writeBuffer.put(helloLine);
            putSyncLine(0);
            return serve(deadlineNs);
        }
        catch (final IOException | RuntimeException ex)
        {
            return null != endedBy ? endedBy : ex;
        }
        finally
        {
            if (syncWritten > syncLostUpTo)
            {
                synchronized (monitor)
                {
                    syncLostUpTo = syncWritten;
                    monitor.notifyAll();
                }
            }
            closeChannel();
        }
    }

    private Object serve(final long registerDeadlineNs) throws IOException
    {
        while (!closeRequested)
        {
            int work = 0;
            if (registered)
            {
                work += sendRing.controlledRead(drainer);
            }
            work += write();
            final int read = read();
            if (read < 0)
            {
                return null != endedBy ? endedBy : new ClosedChannelException();
            }
            if (null != endedBy)
            {
                return endedBy;
            }
            work += read;
            if (!registered && System.nanoTime() - registerDeadlineNs >= 0)
            {
                return new IOException("no registration echo within " + config.connectTimeout().toMillis() + " ms");
            }
            if (0 == work)
            {
                idle = true;
                VarHandle.fullFence();
                // Wait unless the ring holds sends the write buffer can take: with bytes still waiting for the
                // socket, OP_WRITE (or a send) wakes the selector, so a broker that stops reading costs no spinning.
                if (!closeRequested && (!registered || sendRing.size() == 0 || writeBuffer.position() > 0))
                {
                    selector.select(onReady, IDLE_SELECT_MS);
                }
                idle = false;
            }
        }
        return null;
    }

    /** Copies one ring record into the write buffer, or stops the drain while it has no room. */
    private ControlledMessageHandler.Action onRecord(
        final int msgTypeId, final org.agrona.MutableDirectBuffer buffer, final int index, final int length)
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
        pending.onLine(buffer.getLong(index), buffer, lineIndex, buffer.getInt(index + 12), lineBytes - 1,
            buffer.getInt(index + 8));
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

    /** @return 1 if bytes were written, else 0. */
    private int write() throws IOException
    {
        int work = 0;
        if (channel.hasPendingOutput())
        {
            channel.tls.flush();
        }
        if (writeBuffer.position() > 0)
        {
            writeBuffer.flip();
            try
            {
                work = channel.io.write(writeBuffer) > 0 ? 1 : 0;
            }
            finally
            {
                writeBuffer.compact();
            }
        }
        // OP_WRITE only while bytes wait for the socket.
        final boolean waiting = writeBuffer.position() > 0 || channel.hasPendingOutput();
        final int interest = SelectionKey.OP_READ | (waiting ? SelectionKey.OP_WRITE : 0);
        if (key.interestOps() != interest)
        {
            key.interestOps(interest);
        }
        return work;
    }

    /** @return 1 if bytes were read, 0 if none, -1 at the end of the stream. */
    private int read() throws IOException
    {
        int work = 0;
        while (true)
        {
            final int n = channel.io.read(readBuffer);
            if (n < 0)
            {
                return -1;
            }
            if (n == 0)
            {
                return work;
            }
            work = 1;
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

    private void closeChannel()
    {
        if (null != channel)
        {
            if (null != key)
            {
                key.cancel();
                key = null;
            }
            channel.close();
            channel = null;
            pending.clear();
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
        pending.onSyncEchoed();
        if (0 == id)
        {
            registered = true;
            setState(ConnectionState.CONNECTED, null);
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

    /** What each decoded line means to this client. I/O thread. */
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
                error.sendId(pending.attribute(error));
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
            LOG.log(System.Logger.Level.WARNING, "tern client '" + name + "' got a line the protocol does not have: " +
                ReceivedMessage.string(buffer, start, Math.min(end - start, 120)));
        }
    }

    @Override
    public String toString()
    {
        return "TernClient{" + name + "@" + address + ", " + state + "}";
    }
}
