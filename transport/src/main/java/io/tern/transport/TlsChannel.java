/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SocketChannel;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

/**
 * TLS over a non-blocking {@link SocketChannel}, with the JDK's {@link SSLEngine}: plaintext in, records out, on the
 * thread that calls, so a selector loop can carry TLS connections beside plain ones without a thread per connection.
 * <pre>
 *   read(dst):   socket ──▶ netIn (records) ──unwrap──▶ dst (or appIn, when dst is too small for a record)
 *   write(src):  src ──wrap──▶ netOut (records, several per write) ──▶ socket, as far as it takes them
 * </pre>
 * <ul>
 *   <li>{@link #read(ByteBuffer)} returns plaintext bytes, 0 when none are complete yet, -1 once the peer's
 *       {@code close_notify} or the end of the stream has arrived and every byte before it has been handed out. It
 *       drives the handshake: a new channel's handshake advances only through reads (and {@link #flush()} sends what
 *       it produced when the socket would not take it at once). After a read, {@link #hasBufferedInput()} says whether
 *       bytes are held that the next read returns without the socket becoming readable again.</li>
 *   <li>{@link #write(ByteBuffer)} and {@link #write(ByteBuffer[], int, int)} consume plaintext only while the
 *       records it makes go onto the socket; when the socket stops taking them, what is made and not yet sent is held
 *       ({@link #hasPendingOutput()}, at most one buffer of records) and the caller must wait for {@code OP_WRITE} and
 *       {@link #flush()}. Before the handshake has finished a write consumes nothing.</li>
 *   <li>The engine's delegated tasks (certificate checks, key exchange) run inline on the calling thread: a handshake
 *       costs the calling agent a few milliseconds of CPU, which is why handshakes belong on the connect path (the
 *       authenticator), not where messages are routed.</li>
 * </ul>
 * Buffers: direct, from a shared pool ({@code TlsBufferPool}), sized from the session's packet and application
 * buffer sizes, each taken when bytes appear and given back as soon as it is empty, and at the latest when the side
 * that holds it closes: an idle TLS connection holds none, and direct memory never waits for a GC.
 * <p>
 * Threads: one thread reads ({@link #read}, {@link #hasBufferedInput()}, {@link #releaseInbound()}), one thread
 * writes ({@link #write}, {@link #flush()}, {@link #hasPendingOutput()}, {@link #closeOutbound()}); they may be the
 * same thread or two. The write side is guarded by a lock because a read may have to send (the handshake, the reply
 * to a key update, an alert); uncontended outside those moments. {@link #close()} may be called from any thread: it
 * frees the read side's buffers itself only when no read is running, else the read frees them as it returns (a
 * compare-and-set on entry and exit of each read guards this). Not garbage-free: the handshake allocates, and the
 * JDK's engine returns a new {@link SSLEngineResult} from every wrap and unwrap (small and short-lived); this class
 * itself allocates nothing per read or write of an established session (buffers are pooled). The plain path, which
 * does not come here, stays garbage-free.
 */
public final class TlsChannel implements ByteChannel, GatheringByteChannel
{
    /** Whether a server asks its clients for a certificate. */
    public enum ClientAuth
    {
        /** No client certificate asked for. */
        NONE,
        /** Asked for; a client without one is accepted, a client with one that does not verify is refused. */
        WANT,
        /** Required: a client without a certificate the trust store verifies is refused. */
        NEED
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int RECORD_HEADER_BYTES = 5;
    // readState: who may touch the read side's buffers. A read holds READING; close() takes CLOSED and frees them if
    // no read holds them, else the read frees them as it leaves. So any thread may close, and no buffer is freed
    // under a read.
    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int CLOSED = 2;
    private static final VarHandle READ_STATE;

    static
    {
        try
        {
            READ_STATE = MethodHandles.lookup().findVarHandle(TlsChannel.class, "readState", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final SocketChannel channel;
    private final SSLEngine engine;
    private final TlsBufferPool pool;
    private final Object writeLock = new Object();

    // reading thread
    /** Records read and not yet unwrapped, in fill mode; null when there are none. */
    private ByteBuffer netIn;
    /** Decrypted bytes {@code read} has not handed out yet, in fill mode (0 to position); null when there are none. */
    private ByteBuffer appIn;
    private boolean inputEnded;
    private boolean endReported;
    private boolean bufferedInput;
    private boolean closeNotifyReceived;
    @SuppressWarnings("unused") // through READ_STATE
    private volatile int readState;

    // writing thread, under writeLock
    /** Records made and not yet on the socket, in fill mode; null when there are none. */
    private ByteBuffer netOut;
    private final ByteBuffer[] single = new ByteBuffer[1];
    private boolean outputClosed;
    /** netOut holds records: read without the lock by hasPendingOutput(), written under it. */
    private volatile boolean outputPending;

    private volatile boolean handshakeDone;
    private volatile boolean closed;

    private TlsChannel(final SocketChannel channel, final SSLEngine engine, final TlsBufferPool pool)
    {
        this.channel = channel;
        this.engine = engine;
        this.pool = pool;
    }

    /**
     * A server side of TLS on an accepted, non-blocking socket. Starts the handshake; nothing is sent or read yet.
     *
     * @param context    the server's context, with its key (see {@link TlsContexts}).
     * @param channel    the accepted socket, non-blocking.
     * @param clientAuth whether to ask the client for a certificate (verified against the context's trust store).
     * @return the channel.
     * @throws SSLException if the engine cannot start.
     */
    public static TlsChannel server(final SSLContext context, final SocketChannel channel, final ClientAuth clientAuth)
        throws SSLException
    {
        return server(context, channel, clientAuth, TlsBufferPool.SHARED);
    }

    static TlsChannel server(
        final SSLContext context, final SocketChannel channel, final ClientAuth clientAuth, final TlsBufferPool pool)
        throws SSLException
    {
        final SSLEngine engine = TlsContexts.configure(context.createSSLEngine());
        engine.setUseClientMode(false);
        if (clientAuth == ClientAuth.NEED)
        {
            engine.setNeedClientAuth(true);
        }
        else if (clientAuth == ClientAuth.WANT)
        {
            engine.setWantClientAuth(true);
        }
        return start(channel, engine, pool);
    }

    /**
     * A client side of TLS on a connected (or connecting) non-blocking socket. Starts the handshake; the first read,
     * or flush, sends the ClientHello.
     *
     * @param context    the client's context: its trust store, and its key if the server asks for a certificate.
     * @param channel    the socket, non-blocking.
     * @param serverName the name (or IP address) the server's certificate must carry, which is also sent as SNI when
     *                   it is a host name; null to check the certificate's chain only, not its name.
     * @return the channel.
     * @throws IOException if the socket's address cannot be read or the engine cannot start.
     */
    public static TlsChannel client(final SSLContext context, final SocketChannel channel, final String serverName)
        throws IOException
    {
        return client(context, channel, serverName, TlsBufferPool.SHARED);
    }

    static TlsChannel client(
        final SSLContext context, final SocketChannel channel, final String serverName, final TlsBufferPool pool)
        throws IOException
    {
        final SocketAddress remote = channel.getRemoteAddress();
        final int port = remote instanceof InetSocketAddress ? ((InetSocketAddress)remote).getPort() : -1;
        final String host = null != serverName ? serverName :
            remote instanceof InetSocketAddress ? ((InetSocketAddress)remote).getHostString() : null;
        final SSLEngine engine = TlsContexts.configure(context.createSSLEngine(host, port));
        engine.setUseClientMode(true);
        if (null != serverName)
        {
            final SSLParameters parameters = engine.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(parameters);
        }
        return start(channel, engine, pool);
    }

    /** Begins the handshake of an engine already configured; tests use it for engines the factories do not make. */
    static TlsChannel start(final SocketChannel channel, final SSLEngine engine, final TlsBufferPool pool)
        throws SSLException
    {
        engine.beginHandshake();
        return new TlsChannel(channel, engine, pool);
    }

    /**
     * Reads plaintext, driving the handshake first while it is not finished. Reading thread.
     *
     * @param dst where the plaintext goes.
     * @return bytes put into {@code dst}; 0 if none are ready (wait for {@code OP_READ}, or {@code OP_WRITE} and
     * {@link #flush()} if {@link #hasPendingOutput()}); -1 once the peer has closed and everything before was read.
     * @throws SSLException if the handshake fails or a record does not verify (an alert has been sent if the
     * socket took it); the channel then reads no more.
     * @throws IOException if the socket fails.
     */
    @Override
    public int read(final ByteBuffer dst) throws IOException
    {
        if (!READ_STATE.compareAndSet(this, IDLE, READING))
        {
            throw new ClosedChannelException();
        }
        try
        {
            final int n = readHeld(dst);
            if (n < 0)
            {
                endReported = true;
            }
            bufferedInput = null != appIn || hasCompleteRecord() || (inputEnded && !endReported);
            return n;
        }
        finally
        {
            if (!READ_STATE.compareAndSet(this, READING, IDLE))
            {
                releaseInboundBuffers(); // closed meanwhile by another thread, which left them to us
            }
        }
    }

    private int readHeld(final ByteBuffer dst) throws IOException
    {
        if (null != appIn)
        {
            return drainAppIn(dst);
        }
        if (inputEnded)
        {
            return -1;
        }
        if (!dst.hasRemaining())
        {
            return 0;
        }
        try
        {
            return readRecords(dst);
        }
        catch (final SSLException ex)
        {
            sendAlertQuietly();
            inputEnded = true;
            releaseInboundBuffers();
            throw ex;
        }
        catch (final IOException | RuntimeException ex)
        {
            inputEnded = true;
            releaseInboundBuffers();
            throw ex;
        }
    }

    private int readRecords(final ByteBuffer dst) throws IOException
    {
        if (outputPending && !handshakeDone)
        {
            flush(); // the rest of our flight, which the peer waits for before it sends anything more
        }
        int produced = 0;
        for (;;)
        {
            final HandshakeStatus status = engine.getHandshakeStatus();
            if (handshakeDone && status != HandshakeStatus.NOT_HANDSHAKING && isRenegotiation())
            {
                // A TLSv1.2 peer asking for a new handshake: each costs the reading thread what the first one cost
                // the authenticator, and nothing the broker does needs one. (TLSv1.3 has none; its key updates pass.)
                throw new SSLException("TLS renegotiation refused");
            }
            if (status == HandshakeStatus.NEED_TASK)
            {
                runDelegatedTasks();
                continue;
            }
            if (status == HandshakeStatus.NEED_WRAP)
            {
                if (!wrapHandshake() && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP)
                {
                    return produced; // the socket takes no more: the rest goes with flush() on OP_WRITE
                }
                continue;
            }
            if (null != netIn && netIn.position() > 0)
            {
                // Records decrypt straight into dst while it has room for them; into appIn only when it has not.
                final ByteBuffer target = null != appIn ? appIn : dst;
                netIn.flip();
                final SSLEngineResult result;
                try
                {
                    result = engine.unwrap(netIn, target);
                }
                finally
                {
                    netIn.compact();
                }
                noteHandshake(result);
                switch (result.getStatus())
                {
                    case OK:
                        if (netIn.position() == 0)
                        {
                            releaseNetIn();
                        }
                        if (result.bytesProduced() > 0)
                        {
                            if (target == appIn)
                            {
                                return produced + drainAppIn(dst);
                            }
                            produced += result.bytesProduced();
                            if (null == netIn || !dst.hasRemaining())
                            {
                                return produced;
                            }
                            continue; // more whole records may wait in netIn: one read hands out all that fit
                        }
                        if (target == appIn)
                        {
                            releaseAppIn();
                        }
                        if (result.bytesConsumed() > 0 || result.getHandshakeStatus() == HandshakeStatus.NEED_TASK ||
                            result.getHandshakeStatus() == HandshakeStatus.NEED_WRAP)
                        {
                            continue; // a handshake or session-ticket record: look at what follows it
                        }
                        break;

                    case BUFFER_UNDERFLOW:
                        if (produced > 0)
                        {
                            return produced; // the rest of this record is still to come
                        }
                        if (!netIn.hasRemaining())
                        {
                            netIn = grow(netIn, engine.getSession().getPacketBufferSize());
                        }
                        break;

                    case BUFFER_OVERFLOW:
                        if (produced > 0)
                        {
                            return produced; // dst is full enough: the next read takes the rest
                        }
                        if (null == appIn)
                        {
                            appIn = pool.acquire(engine.getSession().getApplicationBufferSize());
                        }
                        else
                        {
                            appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
                        }
                        continue;

                    case CLOSED:
                    default:
                        onCloseNotify();
                        if (produced > 0)
                        {
                            return produced;
                        }
                        return null != appIn ? drainAppIn(dst) : -1;
                }
            }
            if (produced > 0)
            {
                return produced;
            }
            if (null == netIn)
            {
                netIn = pool.acquire(engine.getSession().getPacketBufferSize());
            }
            final int read = channel.read(netIn);
            if (read < 0)
            {
                onEndOfStream();
                return -1;
            }
            if (read == 0)
            {
                if (netIn.position() == 0)
                {
                    releaseNetIn();
                }
                return 0;
            }
        }
    }

    /**
     * Whether a read would return bytes (or the end) without the socket becoming readable again: decrypted bytes not
     * yet handed out, a complete record read and not yet decrypted, or an end not yet reported. As of the latest read;
     * reading thread.
     *
     * @return true if {@link #read(ByteBuffer)} should be called again before waiting for {@code OP_READ}.
     */
    public boolean hasBufferedInput()
    {
        return bufferedInput;
    }

    private boolean hasCompleteRecord()
    {
        final ByteBuffer in = netIn;
        if (null == in || in.position() < RECORD_HEADER_BYTES)
        {
            return false;
        }
        final int recordBytes = RECORD_HEADER_BYTES + (((in.get(3) & 0xFF) << 8) | (in.get(4) & 0xFF));
        return in.position() >= recordBytes;
    }

    /**
     * Encrypts plaintext and sends it as far as the socket takes it. Writing thread.
     *
     * @param src plaintext; its position advances by the bytes consumed.
     * @return bytes of plaintext consumed; 0 while the handshake is not finished or earlier records still wait.
     * @throws IOException if the socket fails, or {@link ClosedChannelException} if this side has closed.
     */
    @Override
    public int write(final ByteBuffer src) throws IOException
    {
        synchronized (writeLock)
        {
            single[0] = src;
            try
            {
                return (int)writeLocked(single, 0, 1);
            }
            finally
            {
                single[0] = null;
            }
        }
    }

    /**
     * Encrypts plaintext from several buffers (records may span them) and sends it as far as the socket takes it.
     * Writing thread.
     *
     * @return bytes of plaintext consumed; 0 while the handshake is not finished or earlier records still wait.
     * @throws IOException if the socket fails, or {@link ClosedChannelException} if this side has closed.
     */
    @Override
    public long write(final ByteBuffer[] srcs, final int offset, final int length) throws IOException
    {
        synchronized (writeLock)
        {
            return writeLocked(srcs, offset, length);
        }
    }

    @Override
    public long write(final ByteBuffer[] srcs) throws IOException
    {
        return write(srcs, 0, srcs.length);
    }

    private long writeLocked(final ByteBuffer[] srcs, final int offset, final int length) throws IOException
    {
        if (closed || outputClosed)
        {
            throw new ClosedChannelException();
        }
        if (!flushLocked())
        {
            return 0;
        }
        long consumed = 0;
        while (hasRemaining(srcs, offset, length))
        {
            final HandshakeStatus status = engine.getHandshakeStatus();
            if (status == HandshakeStatus.NEED_TASK)
            {
                runDelegatedTasks();
                continue;
            }
            if (!handshakeDone && status == HandshakeStatus.NEED_UNWRAP)
            {
                break; // only a read can move the handshake on
            }
            final int packetBytes = engine.getSession().getPacketBufferSize();
            if (null == netOut)
            {
                // Room for several records: they leave in one write, not a write each.
                netOut = pool.acquire(Math.max(TlsBufferPool.BATCH_BYTES, packetBytes));
            }
            final SSLEngineResult result = engine.wrap(srcs, offset, length, netOut);
            noteHandshake(result);
            consumed += result.bytesConsumed();
            if (result.getStatus() == SSLEngineResult.Status.CLOSED)
            {
                outputClosed = true;
                flushLocked();
                if (consumed == 0)
                {
                    throw new ClosedChannelException();
                }
                return consumed;
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
            {
                if (netOut.position() == 0)
                {
                    netOut = grow(netOut, packetBytes);
                    continue;
                }
                if (!flushLocked())
                {
                    return consumed; // the records made wait for OP_WRITE; the rest of the plaintext stays
                }
                continue;
            }
            if (result.getStatus() == SSLEngineResult.Status.OK &&
                result.bytesConsumed() == 0 && result.bytesProduced() == 0)
            {
                break;
            }
            if (netOut.remaining() < packetBytes && !flushLocked())
            {
                return consumed;
            }
        }
        flushLocked(); // what is left waits for OP_WRITE (hasPendingOutput)
        return consumed;
    }

    /**
     * Sends records made and not yet sent (by a write, or by the handshake), then any the handshake still has to
     * send. Writing thread (or the reading thread while the handshake runs).
     *
     * @return true if nothing is left to send; false if the socket would not take it all (wait for {@code OP_WRITE}).
     * @throws IOException if the socket fails.
     */
    public boolean flush() throws IOException
    {
        synchronized (writeLock)
        {
            if (!flushLocked())
            {
                return false;
            }
            while (!outputClosed && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP)
            {
                if (!wrapHandshakeLocked())
                {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * @return true if records are made and not yet on the socket: wait for {@code OP_WRITE}, then {@link #flush()}.
     * Any thread (a volatile read).
     */
    public boolean hasPendingOutput()
    {
        return outputPending;
    }

    /** @return true until the handshake has finished (also before it has begun). Any thread. */
    public boolean isHandshaking()
    {
        return !handshakeDone;
    }

    /** @return true if the peer ended its side with a {@code close_notify} (not a bare end of stream). Reading thread. */
    public boolean closeNotifyReceived()
    {
        return closeNotifyReceived;
    }

    /**
     * @return the session: after the handshake, its protocol, cipher suite and the peer's certificates (for logs and
     * for naming a client by its certificate). Any thread.
     */
    public SSLSession session()
    {
        return engine.getSession();
    }

    /** @return the socket underneath. */
    public SocketChannel socketChannel()
    {
        return channel;
    }

    @Override
    public boolean isOpen()
    {
        return !closed && channel.isOpen();
    }

    /**
     * Ends this side: makes a {@code close_notify}, sends it if the socket takes it at once, and gives back the write
     * side's buffer; does not close the socket. Writes fail afterwards. Writing thread.
     */
    public void closeOutbound()
    {
        synchronized (writeLock)
        {
            if (!outputClosed)
            {
                outputClosed = true;
                engine.closeOutbound();
                try
                {
                    wrapHandshakeLocked();
                }
                catch (final IOException | RuntimeException ignore)
                {
                    // best effort: the socket is about to close anyway
                }
            }
            releaseNetOut();
        }
    }

    /**
     * Gives back the read side's buffers; reads return -1 afterwards. Reading thread, when it stops reading this
     * channel early (a read that fails or ends does this itself).
     */
    public void releaseInbound()
    {
        if (READ_STATE.compareAndSet(this, IDLE, READING))
        {
            inputEnded = true;
            endReported = true;
            bufferedInput = false;
            releaseInboundBuffers();
            if (!READ_STATE.compareAndSet(this, READING, IDLE))
            {
                releaseInboundBuffers(); // closed meanwhile: nothing is left to free, but that is the rule
            }
        }
    }

    /**
     * Sends a {@code close_notify} if the socket takes it at once, closes the socket and gives back every buffer, the
     * read side's at once unless a read is running on another thread, which then gives them back as it returns. Any
     * thread; idempotent.
     */
    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            closeOutbound();
        }
        finally
        {
            if ((int)READ_STATE.getAndSet(this, CLOSED) == IDLE)
            {
                releaseInboundBuffers();
            }
            channel.close();
        }
    }

    private void releaseInboundBuffers()
    {
        releaseNetIn();
        releaseAppIn();
    }

    private int drainAppIn(final ByteBuffer dst)
    {
        final ByteBuffer in = appIn;
        in.flip();
        final int n = Math.min(in.remaining(), dst.remaining());
        final int limit = in.limit();
        in.limit(in.position() + n);
        dst.put(in);
        in.limit(limit);
        in.compact();
        if (in.position() == 0)
        {
            appIn = null;
            pool.release(in);
        }
        return n;
    }

    private void onCloseNotify() throws IOException
    {
        closeNotifyReceived = true;
        inputEnded = true;
        releaseNetIn(); // whatever follows a close_notify is not the peer's data
        if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP)
        {
            wrapHandshake(); // TLSv1.2 answers with its own close_notify
        }
    }

    private void onEndOfStream()
    {
        inputEnded = true;
        releaseNetIn();
        try
        {
            engine.closeInbound();
        }
        catch (final SSLException ignore)
        {
            // no close_notify came first: the peer just went away, which ends the stream all the same
        }
    }

    /** @return true if what it made went onto the socket. */
    private boolean wrapHandshake() throws IOException
    {
        synchronized (writeLock)
        {
            return wrapHandshakeLocked();
        }
    }

    private boolean wrapHandshakeLocked() throws IOException
    {
        if (null == netOut)
        {
            netOut = pool.acquire(engine.getSession().getPacketBufferSize());
        }
        final SSLEngineResult result = engine.wrap(EMPTY, netOut);
        noteHandshake(result);
        if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW)
        {
            if (netOut.position() == 0)
            {
                netOut = grow(netOut, engine.getSession().getPacketBufferSize());
            }
            flushLocked();
            return false;
        }
        if (result.getStatus() == SSLEngineResult.Status.CLOSED)
        {
            outputClosed = true;
        }
        return flushLocked();
    }

    /** After a failed handshake or a bad record the engine holds an alert saying why: send it if the socket takes it. */
    private void sendAlertQuietly()
    {
        synchronized (writeLock)
        {
            try
            {
                if (!outputClosed)
                {
                    engine.closeOutbound();
                    outputClosed = true;
                    wrapHandshakeLocked();
                }
            }
            catch (final IOException | RuntimeException ignore)
            {
                // best effort: the caller reports the failure that matters
            }
            releaseNetOut();
        }
    }

    /** @return true if nothing is left to send. */
    private boolean flushLocked() throws IOException
    {
        final ByteBuffer out = netOut;
        if (null == out)
        {
            return true;
        }
        out.flip();
        try
        {
            while (out.hasRemaining() && channel.write(out) > 0)
            {
                // the socket took some: offer the rest
            }
        }
        finally
        {
            out.compact();
        }
        if (out.position() == 0)
        {
            releaseNetOut();
            return true;
        }
        outputPending = true;
        return false;
    }

    private void runDelegatedTasks()
    {
        Runnable task;
        while (null != (task = engine.getDelegatedTask()))
        {
            task.run();
        }
    }

    private boolean isRenegotiation()
    {
        return "TLSv1.2".equals(engine.getSession().getProtocol());
    }

    private void noteHandshake(final SSLEngineResult result)
    {
        // A failed handshake also ends NOT_HANDSHAKING, with the engine closed (its alert being sent) and, before
        // TLSv1.3's ServerHello, no cipher suite agreed: neither is a finished handshake.
        if (!handshakeDone && (result.getHandshakeStatus() == HandshakeStatus.FINISHED ||
            (engine.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING && !engine.isOutboundDone() &&
            !engine.isInboundDone() && !"SSL_NULL_WITH_NULL_NULL".equals(engine.getSession().getCipherSuite()))))
        {
            handshakeDone = true;
        }
    }

    private ByteBuffer grow(final ByteBuffer buffer, final int minBytes)
    {
        final ByteBuffer larger = pool.acquire(Math.max(minBytes, buffer.capacity() * 2));
        buffer.flip();
        larger.put(buffer);
        pool.release(buffer);
        return larger;
    }

    private void releaseNetIn()
    {
        if (null != netIn)
        {
            pool.release(netIn);
            netIn = null;
        }
    }

    private void releaseAppIn()
    {
        if (null != appIn)
        {
            pool.release(appIn);
            appIn = null;
        }
    }

    private void releaseNetOut()
    {
        if (null != netOut)
        {
            pool.release(netOut);
            netOut = null;
        }
        outputPending = false;
    }

    private static boolean hasRemaining(final ByteBuffer[] srcs, final int offset, final int length)
    {
        for (int i = offset, end = offset + length; i < end; i++)
        {
            if (srcs[i].hasRemaining())
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString()
    {
        return "TlsChannel(" + channel + ")";
    }
}
