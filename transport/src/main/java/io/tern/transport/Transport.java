/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The network side of the broker: it builds one acceptor, R readers, W writers and, with authentication, an
 * authenticator and its V verifiers (with a TLS port, an authenticator in any case: it runs the handshakes), and
 * hands them out; it never decides which threads run them (the broker's thread composition does).
 * <pre>
 *                 ┌──────────┐  new connections   ┌──────────┐  InboundBatch   ┌────────────────┐
 *   clients ────▶ │ acceptor │ ─────────────────▶ │ reader-N │ ──────────────▶ │ InboundSink    │
 *                 └──────────┘   (SPSC queues)    └──────────┘ (lines in its   │ (the broker's  │
 *                       │ adopt: closed by its writer           LineArena)     │  Disruptor)    │
 *                       ▼                                                      └───────┬────────┘
 *                 ┌──────────┐  schedule(conn), once per batch (OutboundScheduler)     │ writes into
 *   clients ◀──── │ writer-M │ ◀──────────────────────────────────────── Outbound ring per connection
 *                 └──────────┘
 * </pre>
 * Agents: {@link #reader(int)}, {@link #writer(int)}, {@link #authenticator()}, {@link #verifier(int)}, or
 * {@link #shared(SinkConsumer)} for the one reader, the sink's consumer and the one writer as a single agent;
 * {@link #acceptor()} is a blocking {@code Runnable}. Each agent closes what it opened in its {@code onClose}, run by
 * its {@code AgentRunner}.
 * <p>
 * Lifecycle: {@link #bind()}, start the acceptor and the agents; for an orderly stop {@link #stopAccepting()} (then
 * wait for the acceptor and the authenticator), {@link #requestStopReading()} (readers hand over every complete line
 * they have read, then stop), let the sink's consumer finish, then {@link #requestFlush(long)} (writers flush within
 * the deadline, then stop; the shared agent does this step itself), and close the runners.
 */
public final class Transport implements OutboundScheduler, AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(Transport.class.getName());

    private final TransportSettings settings;
    private final Reader[] readers;
    private final Writer[] writers;
    private final boolean[] writerHasWork;
    private final AuthenticatorSettings authSettings;
    private final ConnectionSlots slots;
    private final OutboundSegmentPool outboundPool;
    /** With authentication, or TLS (its handshakes run there, never on a reader): the authenticator; else null. */
    private Authenticator authenticator;
    private final AtomicCounter[] bytesRead;
    private final AtomicCounter[] bytesWritten;
    private final AtomicCounter[] connectionsClosed;
    private final AtomicCounter[] outboundTaken;
    private final AtomicCounter outboundAllocated;
    private final AtomicCounter outboundInUse;
    private final AtomicCounter outboundCommitted;
    private final AtomicCounter outboundChargedHighWater;
    private final AtomicCounter connectionsAccepted;
    private final AtomicCounter refusedTooMany;
    private final AtomicCounter refusedNotAuthorized;
    private final AtomicCounter connectionSlotsMade;
    private ServerSocketChannel serverChannel;
    private TlsEndpoint tls;
    private ServerSocketChannel tlsServerChannel;
    private volatile Acceptor acceptor;

    /**
     * @param settings validated settings.
     * @param sink     where readers publish; its consumer must call {@link #schedule(Connection)}.
     * @throws IOException if a selector cannot be opened.
     */
    public Transport(final TransportSettings settings, final InboundSink sink) throws IOException
    {
        this(settings, sink, null);
    }

    /**
     * @param settings validated settings.
     * @param sink     where readers publish; its consumer must call {@link #schedule(Connection)}.
     * @param verifier checks each connection's first line on the {@code authenticator} agent before it joins a
     *                 reader, or null for no authentication.
     * @throws IOException if a selector cannot be opened.
     */
    public Transport(final TransportSettings settings, final InboundSink sink, final FirstLineVerifier verifier)
        throws IOException
    {
        this(settings, sink, verifier, TransportCounters.newCountersManager(TransportCounters.count(settings)));
    }

    /**
     * @param settings validated settings.
     * @param sink     where readers publish; its consumer must call {@link #schedule(Connection)}.
     * @param verifier checks each connection's first line on the {@code verifier-N} agents before it joins a
     *                 reader, or null for no authentication.
     * @param counters where to allocate the transport's counters ({@link TransportCounters#count} of them), on this
     *                 thread, before any agent runs.
     * @throws IOException if a selector cannot be opened.
     */
    public Transport(
        final TransportSettings settings,
        final InboundSink sink,
        final FirstLineVerifier verifier,
        final CountersManager counters) throws IOException
    {
        this(settings, sink, verifier, AuthenticatorSettings.DEFAULTS, counters);
    }

    /**
     * @param settings     validated settings.
     * @param sink         where readers publish; its consumer must call {@link #schedule(Connection)}.
     * @param verifier     checks each connection's first line on the {@code verifier-N} agents before it joins a
     *                     reader, or null for no authentication.
     * @param authSettings how many verifiers, and the bounds on waiting checks and failed logins; unused without a
     *                     verifier.
     * @param counters     where to allocate the transport's counters ({@link TransportCounters#count} of them), on
     *                     this thread, before any agent runs.
     * @throws IOException if a selector cannot be opened.
     */
    public Transport(
        final TransportSettings settings,
        final InboundSink sink,
        final FirstLineVerifier verifier,
        final AuthenticatorSettings authSettings,
        final CountersManager counters) throws IOException
    {
        this.settings = settings;
        this.authSettings = authSettings;
        readers = new Reader[settings.readers()];
        writers = new Writer[settings.writers()];
        writerHasWork = new boolean[writers.length];
        bytesRead = new AtomicCounter[readers.length + 1]; // the last one is the authenticator's
        bytesWritten = new AtomicCounter[writers.length];
        connectionsClosed = new AtomicCounter[writers.length + 1]; // the last one is the authenticator's
        outboundTaken = new AtomicCounter[writers.length];
        for (int i = 0; i < readers.length; i++)
        {
            bytesRead[i] = counters.newCounter("bytes read: reader-" + i, TransportCounters.BYTES_READ_TYPE_ID);
        }
        bytesRead[readers.length] = counters.newCounter("bytes read: authenticator",
            TransportCounters.BYTES_READ_TYPE_ID);
        for (int i = 0; i < writers.length; i++)
        {
            bytesWritten[i] = counters.newCounter("bytes written: writer-" + i,
                TransportCounters.BYTES_WRITTEN_TYPE_ID);
            connectionsClosed[i] = counters.newCounter("connections closed: writer-" + i,
                TransportCounters.CONNECTIONS_CLOSED_TYPE_ID);
            outboundTaken[i] = counters.newCounter("outbound bytes taken: writer-" + i,
                TransportCounters.OUTBOUND_TAKEN_TYPE_ID);
        }
        connectionsClosed[writers.length] = counters.newCounter("connections closed: authenticator",
            TransportCounters.CONNECTIONS_CLOSED_TYPE_ID);
        connectionsAccepted = counters.newCounter("connections accepted",
            TransportCounters.CONNECTIONS_ACCEPTED_TYPE_ID);
        refusedTooMany = counters.newCounter("connections refused: too many connections",
            TransportCounters.REFUSED_TOO_MANY_TYPE_ID);
        refusedNotAuthorized = counters.newCounter("connections refused: not authorized",
            TransportCounters.REFUSED_NOT_AUTHORIZED_TYPE_ID);
        connectionSlotsMade = counters.newCounter("connection slots made",
            TransportCounters.CONNECTION_SLOTS_TYPE_ID);
        slots = new ConnectionSlots(settings.maxConnections(), connectionSlotsMade);
        outboundAllocated = counters.newCounter("outbound memory allocated",
            TransportCounters.OUTBOUND_MEMORY_TYPE_ID);
        outboundInUse = counters.newCounter("outbound memory in use", TransportCounters.OUTBOUND_MEMORY_TYPE_ID);
        outboundCommitted = counters.newCounter("outbound bytes committed, less discarded",
            TransportCounters.OUTBOUND_COMMITTED_TYPE_ID);
        outboundChargedHighWater = counters.newCounter("outbound memory charged to the budget, high-water",
            TransportCounters.OUTBOUND_MEMORY_TYPE_ID);
        outboundPool = new OutboundSegmentPool(settings.maxConnections(), settings.writeBufferBytes(),
            settings.maxQueuedBytesPerPeer(), settings.outboundBudgetBytes(), outboundAllocated, outboundInUse,
            outboundCommitted, outboundChargedHighWater);

        for (int i = 0; i < readers.length; i++)
        {
            readers[i] = new Reader(i, settings.maxConnections(), settings.inboundBufferBytes(),
                settings.batchCapacity(), settings.readBufferBytes(), settings.maxLineBytes(),
                TimeUnit.MILLISECONDS.toNanos(settings.nameTimeoutMs()),
                TimeUnit.MILLISECONDS.toNanos(settings.partialLineTimeoutMs()),
                TimeUnit.MILLISECONDS.toNanos(settings.idleTimeoutMs()), sink, settings.idleStrategy(), bytesRead[i]);
        }
        for (int i = 0; i < writers.length; i++)
        {
            writers[i] = new Writer(i, settings.maxConnections(),
                TimeUnit.MILLISECONDS.toNanos(settings.flushTimeoutMs()), settings.idleStrategy(), slots,
                settings.writeBufferBytes(), bytesWritten[i], connectionsClosed[i], outboundTaken[i],
                settings.lingerMs());
        }
        authenticator = null == verifier ? null : newAuthenticator(verifier);
    }

    /** @param verifier the credentials check, or null for an authenticator that only runs TLS handshakes. */
    private Authenticator newAuthenticator(final FirstLineVerifier verifier) throws IOException
    {
        final Authenticator made = new Authenticator(settings.maxConnections(), verifier, authSettings, readers,
            writers, settings.readBufferBytes(), settings.maxLineBytes(),
            TimeUnit.MILLISECONDS.toNanos(settings.nameTimeoutMs()), slots,
            bytesRead[readers.length], connectionsClosed[writers.length], refusedNotAuthorized);
        made.lingerAfterRefusal(settings.lingerMs());
        return made;
    }

    /**
     * Opens and binds the listening socket. Call once, before starting {@link #acceptor()}.
     *
     * @throws IOException if the address cannot be bound.
     */
    public void bind() throws IOException
    {
        serverChannel = ServerSocketChannel.open();
        serverChannel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        serverChannel.bind(new InetSocketAddress(settings.bindAddress(), settings.port()), 1024);
        if (null != tls)
        {
            tlsServerChannel = ServerSocketChannel.open();
            tlsServerChannel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            tlsServerChannel.bind(new InetSocketAddress(tls.bindAddress(), tls.port()), 1024);
        }
        acceptor = new Acceptor(serverChannel, tlsServerChannel, tls, settings, readers, writers, authenticator, slots,
            outboundPool, connectionsAccepted, refusedTooMany);
    }

    /**
     * Adds a TLS port beside the plain one: its connections are served by the same acceptor, readers and writers, each
     * through its own {@link TlsChannel}. Their handshakes run on the authenticator agent, which this creates when
     * authentication is off (it then only handshakes, and hands TLS connections on as soon as that is done; plain
     * ones go straight to their readers as before): a handshake costs milliseconds of CPU, which no reader may spend.
     * Call before {@link #bind()} and before taking the agents.
     *
     * @param endpoint where to listen and with which key.
     * @throws IOException if the authenticator's selector cannot be opened.
     */
    public void tls(final TlsEndpoint endpoint) throws IOException
    {
        if (null != serverChannel)
        {
            throw new IllegalStateException("tls(...) before bind()");
        }
        tls = endpoint;
        if (null == authenticator)
        {
            authenticator = newAuthenticator(null);
        }
    }

    /** @return the TLS port's address actually bound, or null without one. */
    public InetSocketAddress tlsLocalAddress()
    {
        if (null == tlsServerChannel)
        {
            return null;
        }
        try
        {
            return (InetSocketAddress)tlsServerChannel.getLocalAddress();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** @return the acceptor, to run on a thread of its own named {@code acceptor}; it ends once the socket closes. */
    public Runnable acceptor()
    {
        if (null == acceptor)
        {
            throw new IllegalStateException("bind() first");
        }
        return acceptor;
    }

    /** @return reader agents. */
    public int readerCount()
    {
        return readers.length;
    }

    /**
     * @param index 0 to {@link #readerCount()} - 1.
     * @return that reader's agent, {@code reader-N}, to run on a thread of its own.
     */
    public TransportAgent reader(final int index)
    {
        return new TransportAgent(readers[index], readers[index].idleStrategy());
    }

    /**
     * @param index 0 to {@link #writerCount()} - 1.
     * @return that writer's agent, {@code writer-N}, to run on a thread of its own.
     */
    public TransportAgent writer(final int index)
    {
        return new TransportAgent(writers[index], writers[index].idleStrategy());
    }

    /**
     * @return the authenticator agent, to run on a thread of its own, or null when authentication is off and there is
     * no TLS port.
     */
    public TransportAgent authenticator()
    {
        return null == authenticator ? null : new TransportAgent(authenticator, authenticator.idleStrategy());
    }

    /** @return verifier agents that run the credentials checks: 0 when authentication is off. */
    public int verifierCount()
    {
        return null == authenticator ? 0 : authenticator.verifiers().length;
    }

    /**
     * @param index 0 to {@link #verifierCount()} - 1.
     * @return that verifier's agent, {@code verifier-N}, to run on a thread of its own (it parks while idle).
     */
    public TransportAgent verifier(final int index)
    {
        final Verifier verifier = authenticator.verifiers()[index];
        return new TransportAgent(verifier, verifier.idleStrategy());
    }

    /**
     * The one reader, the sink's consumer and the one writer as one agent, {@code shared}, for a single thread. Call
     * at most once, instead of running {@link #reader(int)} and {@link #writer(int)}.
     *
     * @param consumer the sink's consumer, polled between the reader's and the writer's duty cycles.
     * @return the composite agent.
     * @throws IllegalStateException unless there is exactly one reader and one writer.
     */
    public TransportAgent shared(final SinkConsumer consumer)
    {
        if (readers.length != 1 || writers.length != 1)
        {
            throw new IllegalStateException("a shared thread runs exactly one reader and one writer");
        }
        final SharedAgent agent = new SharedAgent(readers[0], consumer, writers[0], settings.flushTimeoutMs(),
            settings.idleStrategy(), settings.maxConnections());
        return new TransportAgent(agent, agent.idleStrategy());
    }

    /** @return the address actually bound. */
    public InetSocketAddress localAddress()
    {
        try
        {
            return (InetSocketAddress)serverChannel.getLocalAddress();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Override
    public void schedule(final Connection connection)
    {
        if (connection.trySchedule())
        {
            final int writerIndex = connection.writerIndex();
            if (!writers[writerIndex].offer(connection))
            {
                // The queue holds max-connections entries and a connection is queued at most once.
                connection.clearScheduled();
                LOG.log(System.Logger.Level.ERROR, connection + ": writer queue full");
                return;
            }
            writerHasWork[writerIndex] = true;
        }
    }

    /**
     * Wakes the {@code shared} thread if it blocks in its selector, so that it polls the ring: for a producer other
     * than the readers (the cluster agent), once per batch it published. Any thread; a no-op cost when not blocked.
     */
    public void wakeShared()
    {
        readers[0].wakeup();
    }

    /**
     * Has a channel that the {@code shared} thread's consumer reads itself (the cluster's UDP sockets, read by a media
     * driver that thread runs) end that thread's wait when it is readable, and tell the consumer so; the transport
     * never reads it. The {@code shared} thread only, or before it starts.
     *
     * @param channel    a non-blocking channel; its key goes when it is closed.
     * @param onReadable run on the {@code shared} thread, before the consumer's next poll, each time the channel is
     *                   found readable.
     * @throws IllegalStateException if the channel is closed.
     */
    public void watchOnShared(final SelectableChannel channel, final Runnable onReadable)
    {
        try
        {
            readers[0].watch(channel, onReadable);
        }
        catch (final ClosedChannelException ex)
        {
            throw new IllegalStateException("watching a closed channel", ex);
        }
    }

    @Override
    public void wakeWriters()
    {
        for (int i = 0; i < writerHasWork.length; i++)
        {
            if (writerHasWork[i])
            {
                writerHasWork[i] = false;
                writers[i].wakeup();
            }
        }
    }

    @Override
    public void close(final Connection connection, final Connection.CloseMode mode)
    {
        connection.requestClose(mode);
        connection.outbound().onCloseRequested();
    }

    @Override
    public int releaseIdleMemory(final int maxScanned)
    {
        return outboundPool.releaseIdle(maxScanned);
    }

    /**
     * Sets who cuts a peer when the outbound budget runs out. Before the sink's consumer runs.
     *
     * @param listener the broker's router.
     */
    public void outboundBudgetListener(final OutboundBudgetListener listener)
    {
        outboundPool.budgetListener(listener);
    }

    // Statistics, for the broker's metrics. Any thread: each value has one writing thread and is read as a snapshot.

    /** @return true while the listening socket is open and the acceptor is running. Any thread. */
    public boolean isAccepting()
    {
        final Acceptor current = acceptor;
        return null != current && current.isRunning() && serverChannel.isOpen();
    }

    /** @return connections accepted since start (those refused over max-connections not included). Any thread. */
    public long connectionsAccepted()
    {
        return connectionsAccepted.get();
    }

    /** @return connections refused with {@code error: too many connections}. Any thread. */
    public long connectionsRefusedTooMany()
    {
        return refusedTooMany.get();
    }

    /**
     * @return direct memory allocated so far for connections: the readers' and writers' own buffers and their pooled
     * partial lines and unwritten rests ({@link #readWriteMemoryBytes()}), and the outbound segments, in use or pooled
     * ({@link #outboundMemoryAllocatedBytes()}). Any thread.
     */
    public long connectionMemoryBytes()
    {
        return readWriteMemoryBytes() + outboundAllocated.get();
    }

    /**
     * @return direct memory allocated for outbound segments, held by peers or pooled for reuse; at most the outbound
     * budget, but for the segments of peers just cut whose writers have not closed them yet. Any thread.
     */
    public long outboundMemoryAllocatedBytes()
    {
        return outboundAllocated.get();
    }

    /** @return direct memory of the outbound segments peers hold now. Any thread. */
    public long outboundMemoryInUseBytes()
    {
        return outboundInUse.get();
    }

    /**
     * @return the most outbound memory ever held at once by peers not being closed: what the outbound budget bounds.
     * Any thread.
     */
    public long outboundMemoryHighWaterBytes()
    {
        return outboundChargedHighWater.get();
    }

    /**
     * @return bytes queued for peers and not yet taken by their writers, as of the broker's latest end of batch or
     * idle moment. Any thread.
     */
    public long outboundQueuedBytes()
    {
        final long taken = sum(outboundTaken); // first: every byte taken was committed before
        return Math.max(0, outboundCommitted.get() - taken);
    }

    /**
     * @return bytes of the pooled buffers that hold partial lines now (a line begun and not yet complete), over the
     * readers and the authenticator: zero when every connection is between lines. Any thread; a snapshot.
     */
    public long partialLineBytes()
    {
        long total = null == authenticator ? 0 : authenticator.partialLineBytes();
        for (final Reader reader : readers)
        {
            total += reader.partialLineBytes();
        }
        return total;
    }

    /**
     * @return bytes of the pooled buffers that hold what partial writes left unwritten now, over the writers: zero
     * when every socket has taken everything staged for it. Any thread; a snapshot.
     */
    public long unwrittenBufferBytes()
    {
        long total = 0;
        for (final Writer writer : writers)
        {
            total += writer.unwrittenBufferBytes();
        }
        return total;
    }

    /**
     * @return memory of the readers', the authenticator's and the writers' buffers: each one's read or staging buffer
     * and its pool's buffers, in use or cached; with a TLS port, the TLS record buffers too (one pool for the
     * process). It follows the number of threads and the partial lines and partial writes in progress, not the number
     * of connections. Any thread; a snapshot.
     */
    public long readWriteMemoryBytes()
    {
        long total = null == authenticator ? 0 : authenticator.readMemoryBytes();
        for (final Reader reader : readers)
        {
            total += reader.readMemoryBytes();
        }
        for (final Writer writer : writers)
        {
            total += writer.writeMemoryBytes();
        }
        if (null != tls)
        {
            total += TlsBufferPool.SHARED.allocatedBytes(); // TLS records held while bytes wait, and the pool's cache
        }
        return total;
    }

    /** @return connections accepted and not yet closed. Any thread. */
    public long connectionsOpen()
    {
        final long closed = connectionsClosed(); // first: every closed connection was accepted before
        return connectionsAccepted() - closed;
    }

    /** @return accepted connections closed since start (by the writers and the authenticator). Any thread. */
    public long connectionsClosed()
    {
        return sum(connectionsClosed);
    }

    /**
     * @return logins whose first line is complete and that wait for a credentials check or are being checked (zero
     * without authentication). Any thread; a snapshot.
     */
    public int loginsChecking()
    {
        return null == authenticator ? 0 : authenticator.loginsChecking();
    }

    /**
     * @return logins refused with {@code error: busy}, too many waiting for a credentials check (zero without
     * authentication). Any thread.
     */
    public long connectionsRefusedBusy()
    {
        return null == authenticator ? 0 : authenticator.busyRefusals();
    }

    /** @return connections refused with {@code error: not authorized} (zero without authentication). Any thread. */
    public long connectionsRefusedNotAuthorized()
    {
        return refusedNotAuthorized.get();
    }

    /** @return bytes read from sockets by the readers (and the authenticator). Any thread. */
    public long bytesRead()
    {
        return sum(bytesRead);
    }

    /** @return bytes written to sockets by the writers. Any thread. */
    public long bytesWritten()
    {
        return sum(bytesWritten);
    }

    private static long sum(final AtomicCounter[] counters)
    {
        long total = 0;
        for (final AtomicCounter counter : counters)
        {
            total += counter.get();
        }
        return total;
    }

    /** @return writer threads. */
    public int writerCount()
    {
        return writers.length;
    }

    /**
     * The route-to-write latencies recorded by one writer thread (nanoseconds). Other threads may only take interval
     * histograms from it ({@code getIntervalHistogram}), from one reporting thread.
     *
     * @param writerIndex 0 to {@link #writerCount()} - 1.
     * @return that writer's recorder.
     */
    public SingleWriterRecorder routeToWriteRecorder(final int writerIndex)
    {
        return writers[writerIndex].routeToWriteRecorder();
    }

    /**
     * The read-to-write latencies recorded by one writer thread (nanoseconds); as {@link #routeToWriteRecorder(int)}.
     *
     * @param writerIndex 0 to {@link #writerCount()} - 1.
     * @return that writer's recorder.
     */
    public SingleWriterRecorder readToWriteRecorder(final int writerIndex)
    {
        return writers[writerIndex].readToWriteRecorder();
    }

    /**
     * Stops accepting: closes the listening socket, which ends the acceptor, and asks the authenticator and its
     * verifiers to stop (connections still authenticating have sent no line the broker could route). Does not wait.
     */
    public void stopAccepting()
    {
        CloseHelper.quietClose(serverChannel);
        CloseHelper.quietClose(tlsServerChannel);
        final Acceptor current = acceptor;
        if (null != current)
        {
            current.wakeup();
        }
        if (null != authenticator)
        {
            authenticator.requestStop();
        }
    }

    /**
     * Asks the readers to hand every complete line they have read to the sink and then stop. Does not wait: each
     * reader's duty cycle ends by itself once it has; the sink's consumer must keep consuming meanwhile.
     */
    public void requestStopReading()
    {
        for (final Reader reader : readers)
        {
            reader.requestStop();
        }
    }

    /**
     * Asks the writers to flush queued output until flushed or the deadline passes, then stop (closing every
     * connection in their {@code onClose}). Call after the sink's consumer has handled everything; does not wait.
     *
     * @param deadlineNs {@link System#nanoTime()} by which to give up flushing.
     */
    public void requestFlush(final long deadlineNs)
    {
        for (final Writer writer : writers)
        {
            writer.requestStop(deadlineNs);
        }
    }

    /**
     * Closes the listening socket. The agents close their own selectors and connections in their {@code onClose},
     * which their runners call. Idempotent.
     */
    @Override
    public void close()
    {
        CloseHelper.quietClose(serverChannel);
        CloseHelper.quietClose(tlsServerChannel);
    }
}
