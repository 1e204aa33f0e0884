/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.SingleWriterRecorder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;

/**
 * The network side of the broker: one acceptor thread, R reader threads and W writer threads.
 * <pre>
 *                 ┌──────────┐  new connections   ┌──────────┐  InboundBatch   ┌────────────────┐
 *   clients ────▶ │ acceptor │ ─────────────────▶ │ reader-N │ ──────────────▶ │ InboundSink    │
 *                 └──────────┘   (SPSC queue)     └──────────┘ (lines in its   │ (the broker's  │
 *                                                               LineArena)     │  Disruptor)    │
 *                                                                              └───────┬────────┘
 *                 ┌──────────┐  schedule(conn), once per batch                         │ writes into
 *   clients ◀──── │ writer-M │ ◀──────────────────────────────────────── Outbound ring per connection
 *                 └──────────┘
 * </pre>
 * Lifecycle: {@link #start()}, then for an orderly stop {@link #stopAccepting()}, {@link #stopReading()} (readers
 * hand over every complete line they have read), let the sink's consumer finish, then {@link #flushAndClose()}.
 */
public final class Transport implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(Transport.class.getName());

    private final TransportSettings settings;
    private final Reader[] readers;
    private final Writer[] writers;
    private final AgentRunner[] readerRunners;
    private final AgentRunner[] writerRunners;
    private final Thread[] readerThreads;
    private final Thread[] writerThreads;
    private final boolean[] writerHasWork;
    private final ConnectionMemory memory;
    private final AtomicLong agentErrors = new AtomicLong();
    private volatile ServerSocketChannel serverChannel;
    private volatile Thread acceptorThread;
    private SharedAgent sharedAgent;
    private final Authenticator authenticator;
    private Thread authenticatorThread;
    private AgentRunner authenticatorRunner;
    private volatile Acceptor acceptor;
    private boolean closed;

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
     * @param verifier checks each connection's first line on the {@code authenticator} thread before it joins a
     *                 reader, or null for no authentication.
     * @throws IOException if a selector cannot be opened.
     */
    public Transport(final TransportSettings settings, final InboundSink sink, final FirstLineVerifier verifier)
        throws IOException
    {
        this.settings = settings;
        readers = new Reader[settings.readers()];
        writers = new Writer[settings.writers()];
        readerRunners = new AgentRunner[readers.length];
        writerRunners = new AgentRunner[writers.length];
        readerThreads = new Thread[readers.length];
        writerThreads = new Thread[writers.length];
        writerHasWork = new boolean[writers.length];
        memory = new ConnectionMemory(settings.maxConnections(), settings.outboundRingBytes(),
            settings.writeBufferBytes());

        for (int i = 0; i < readers.length; i++)
        {
            readers[i] = new Reader(i, settings.maxConnections(), settings.inboundBufferBytes(),
                settings.batchCapacity(), settings.maxLineBytes(),
                TimeUnit.MILLISECONDS.toNanos(settings.nameTimeoutMs()), sink, settings.idleStrategy());
        }
        for (int i = 0; i < writers.length; i++)
        {
            writers[i] = new Writer(i, settings.maxConnections(),
                TimeUnit.MILLISECONDS.toNanos(settings.flushTimeoutMs()), settings.idleStrategy(), memory);
        }
        authenticator = null == verifier ? null : new Authenticator(settings.maxConnections(), verifier, readers,
            settings.maxLineBytes(), TimeUnit.MILLISECONDS.toNanos(settings.nameTimeoutMs()), memory);
    }

    /**
     * Binds and starts every thread.
     *
     * @throws IOException if the address cannot be bound.
     */
    public void start() throws IOException
    {
        start(null);
    }

    /**
     * Binds and starts every thread.
     *
     * @param sharedConsumer null for a thread per reader and writer (the sink's consumer runs on its own thread); or
     *                       the sink's consumer, to run it with the one reader and the one writer on a single thread
     *                       named {@code shared}.
     * @throws IOException if the address cannot be bound.
     */
    public void start(final SinkConsumer sharedConsumer) throws IOException
    {
        serverChannel = ServerSocketChannel.open();
        serverChannel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        serverChannel.bind(new InetSocketAddress(settings.bindAddress(), settings.port()), 1024);

        if (null != sharedConsumer)
        {
            if (readers.length != 1 || writers.length != 1)
            {
                throw new IllegalStateException("a shared thread runs exactly one reader and one writer");
            }
            writers[0].runsOnSharedThread();
            readers[0].onSharedWritable(writers[0]::onSharedWritable);
            sharedAgent = new SharedAgent(readers[0], sharedConsumer, writers[0], settings.flushTimeoutMs(),
                settings.idleStrategy());
            readerRunners[0] = new AgentRunner(sharedAgent.idleStrategy(), this::onAgentError, null, sharedAgent);
            readerThreads[0] = AgentRunner.startOnThread(readerRunners[0]);
            writerThreads[0] = readerThreads[0];
        }
        for (int i = 0; i < writers.length && null == sharedConsumer; i++)
        {
            writerRunners[i] = new AgentRunner(writers[i].idleStrategy(), this::onAgentError, null,
                writers[i]);
            writerThreads[i] = AgentRunner.startOnThread(writerRunners[i]);
        }
        for (int i = 0; i < readers.length && null == sharedConsumer; i++)
        {
            readerRunners[i] = new AgentRunner(readers[i].idleStrategy(), this::onAgentError, null,
                readers[i]);
            readerThreads[i] = AgentRunner.startOnThread(readerRunners[i]);
        }
        if (null != authenticator)
        {
            authenticatorRunner = new AgentRunner(authenticator.idleStrategy(), this::onAgentError, null,
                authenticator);
            authenticatorThread = AgentRunner.startOnThread(authenticatorRunner);
        }
        acceptor = new Acceptor(serverChannel, settings, readers, writers, authenticator, memory);
        acceptorThread = new Thread(acceptor, "acceptor");
        acceptorThread.start();
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

    /**
     * Queues a connection for its writer because its outbound ring has bytes or it should be closed. Sink consumer
     * (broker) thread only; call {@link #wakeWriters()} at the end of the batch.
     *
     * @param connection the connection.
     */
    public void schedule(final Connection connection)
    {
        if (!connection.scheduled.getAndSet(true))
        {
            final int writerIndex = connection.writerIndex();
            if (!writers[writerIndex].offer(connection))
            {
                // The queue holds max-connections entries and a connection is queued at most once.
                connection.scheduled.set(false);
                LOG.log(System.Logger.Level.ERROR, connection + ": writer queue full");
                return;
            }
            writerHasWork[writerIndex] = true;
        }
    }

    /** Wakes each writer that was given work since the last call. Sink consumer (broker) thread only. */
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

    /** @return errors thrown by agent duty cycles (a bug if not zero). Any thread. */
    public long agentErrors()
    {
        return agentErrors.get();
    }

    // Statistics, for the broker's metrics. Any thread: each value has one writing thread and is read as a snapshot.

    /** @return true while the listening socket is open and the acceptor is running. Any thread. */
    public boolean isAccepting()
    {
        final Thread thread = acceptorThread;
        final ServerSocketChannel channel = serverChannel;
        return null != thread && thread.isAlive() && null != channel && channel.isOpen();
    }

    /** @return connections accepted since start (those refused over max-connections not included). Any thread. */
    public long connectionsAccepted()
    {
        final Acceptor current = acceptor;
        return null == current ? 0 : current.acceptedCount();
    }

    /** @return connections refused with {@code error: too many connections}. Any thread. */
    public long connectionsRefusedTooMany()
    {
        final Acceptor current = acceptor;
        return null == current ? 0 : current.rejectedCount();
    }

    /**
     * @return direct memory allocated so far for connections' outbound rings and staging buffers, in bytes: those of
     * closed connections are reused, so it grows only with the most connections open at once. Any thread.
     */
    public long connectionMemoryBytes()
    {
        return memory.allocatedBytes();
    }

    /** @return connections accepted and not yet closed. Any thread. */
    public long connectionsOpen()
    {
        final long closed = connectionsClosed(); // first: every closed connection was accepted before
        return connectionsAccepted() - closed;
    }

    /** @return accepted connections closed since start. Any thread. */
    public long connectionsClosed()
    {
        long closedCount = null == authenticator ? 0 : authenticator.closedConnections();
        for (final Writer writer : writers)
        {
            closedCount += writer.closedConnections();
        }
        return closedCount;
    }

    /** @return connections refused with {@code error: not authorized} (zero without authentication). Any thread. */
    public long connectionsRefusedNotAuthorized()
    {
        return null == authenticator ? 0 : authenticator.refusedConnections();
    }

    /** @return bytes read from sockets by the readers (and the authenticator). Any thread. */
    public long bytesRead()
    {
        long bytes = null == authenticator ? 0 : authenticator.bytesRead();
        for (final Reader reader : readers)
        {
            bytes += reader.bytesRead();
        }
        return bytes;
    }

    /** @return bytes written to sockets by the writers. Any thread. */
    public long bytesWritten()
    {
        long bytes = 0;
        for (final Writer writer : writers)
        {
            bytes += writer.bytesWritten();
        }
        return bytes;
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

    /** Stops accepting: closes the listening socket and waits for the acceptor thread. */
    public void stopAccepting()
    {
        CloseHelper.quietClose(serverChannel);
        joinQuietly(acceptorThread);
        if (null != authenticator)
        {
            // Connections still authenticating have sent no line the broker could route.
            authenticator.requestStop();
            joinQuietly(authenticatorThread);
        }
    }

    /**
     * Stops the readers once each has handed every complete line it has read to the sink. Blocks until they have
     * stopped; the sink's consumer must keep consuming meanwhile.
     */
    public void stopReading()
    {
        for (final Reader reader : readers)
        {
            reader.requestStop();
        }
        if (null != sharedAgent)
        {
            return; // the shared thread routes what was read, then flushes; flushAndClose() waits for it
        }
        for (final Thread thread : readerThreads)
        {
            joinQuietly(thread);
        }
    }

    /**
     * Lets writers flush queued output until flushed or the flush deadline passes, then closes every connection.
     * Call after the sink's consumer has handled everything.
     */
    public void flushAndClose()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.flushTimeoutMs());
        for (int i = 0; i < writers.length && null == sharedAgent; i++)
        {
            writers[i].requestStop(deadlineNs);
        }
        for (final Thread thread : writerThreads)
        {
            joinQuietly(thread);
        }
        close();
    }

    /** Closes everything now, without flushing. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        CloseHelper.quietClose(serverChannel);
        joinQuietly(acceptorThread);
        CloseHelper.quietClose(authenticatorRunner);
        if (null != authenticator)
        {
            for (final SelectionKey key : authenticator.selector().keys())
            {
                CloseHelper.quietClose(key.channel());
            }
            Connection pending;
            while (null != (pending = authenticator.pendingConnections().poll()))
            {
                CloseHelper.quietClose(pending.channel());
            }
            CloseHelper.quietClose(authenticator.selector());
        }
        for (final AgentRunner runner : readerRunners)
        {
            CloseHelper.quietClose(runner);
        }
        for (final AgentRunner runner : writerRunners)
        {
            CloseHelper.quietClose(runner);
        }
        for (final Reader reader : readers)
        {
            for (final SelectionKey key : reader.selector().keys())
            {
                CloseHelper.quietClose(key.channel());
            }
            Connection pending;
            while (null != (pending = reader.pendingConnections().poll()))
            {
                CloseHelper.quietClose(pending.channel());
            }
            CloseHelper.quietClose(reader.selector());
        }
        for (final Writer writer : writers)
        {
            for (final SelectionKey key : writer.selector().keys())
            {
                CloseHelper.quietClose(key.channel());
            }
            CloseHelper.quietClose(writer.selector());
        }
    }

    private void onAgentError(final Throwable ex)
    {
        if (ex instanceof AgentTerminationException)
        {
            return; // an agent finishing its orderly stop, not an error
        }
        agentErrors.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "agent error on " + Thread.currentThread().getName(), ex);
    }

    private static void joinQuietly(final Thread thread)
    {
        if (null == thread)
        {
            return;
        }
        try
        {
            thread.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
