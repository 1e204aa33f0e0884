/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;

import io.tern.broker.metrics.BrokerMetrics;
import io.tern.transport.Transport;

import static io.tern.broker.Settings.AUTH_FILE;
import static io.tern.broker.Settings.FLUSH_TIMEOUT_MS;
import static io.tern.broker.Settings.MAX_CONNECTIONS;
import static io.tern.broker.Settings.MAX_LINE_BYTES;
import static io.tern.broker.Settings.MAX_NAME_BYTES;
import static io.tern.broker.Settings.NAME_TIMEOUT_MS;
import static io.tern.broker.Settings.READERS;
import static io.tern.broker.Settings.RING_SIZE;
import static io.tern.broker.Settings.THREADING;
import static io.tern.broker.Settings.WAIT_STRATEGY;

/**
 * A running broker: the transport's threads, the Disruptor ring and its single handler, the {@link Router} on the
 * {@code broker} thread.
 * <pre>
 *   reader-0..R-1 ──▶ Disruptor RingBuffer&lt;InboundEvent&gt; ──▶ broker (Router) ──▶ Outbound ring per peer ──▶ writer-0..W-1
 * </pre>
 * {@link #launch(BrokerConfig)} and {@link #close()} may be called from any thread; close is idempotent.
 */
public final class Broker implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(Broker.class.getName());

    private final BrokerConfig config;
    private final Transport transport;
    /** The ring's own handler thread, in the dedicated threading mode; null in the shared one. */
    private final Disruptor<InboundEvent> disruptor;
    private final RingBuffer<InboundEvent> ringBuffer;
    /** The router polled by the transport's shared thread, in the shared threading mode; null otherwise. */
    private final PolledRouter polledRouter;
    private final Router router;
    private final BrokerMetrics metrics;
    private final AtomicLong handlerErrors = new AtomicLong();
    private boolean closed;

    private Broker(final BrokerConfig config) throws IOException
    {
        this.config = config;
        final boolean shared = config.get(THREADING) == BrokerConfig.ThreadingMode.SHARED;
        if (shared)
        {
            // Polled on the publishing thread itself, never waited on: the wait strategy is only ever signalled.
            disruptor = null;
            ringBuffer = RingBuffer.createSingleProducer(InboundEvent::new, config.get(RING_SIZE),
                new BusySpinWaitStrategy());
        }
        else
        {
            disruptor = new Disruptor<>(
                InboundEvent::new,
                config.get(RING_SIZE),
                runnable -> new Thread(runnable, "broker"),
                config.get(READERS) == 1 ? ProducerType.SINGLE : ProducerType.MULTI,
                waitStrategy(config.get(WAIT_STRATEGY)));
            ringBuffer = disruptor.getRingBuffer();
        }

        transport = new Transport(config.transportSettings(),
            new DisruptorInboundSink(ringBuffer),
            null == config.get(AUTH_FILE) ? null : CredentialsFile.load(config.get(AUTH_FILE)));

        router = new Router(transport, config.get(MAX_NAME_BYTES), config.get(MAX_LINE_BYTES),
            config.get(NAME_TIMEOUT_MS), config.get(MAX_CONNECTIONS));
        if (shared)
        {
            polledRouter = new PolledRouter(ringBuffer, router, new LoggingExceptionHandler());
        }
        else
        {
            polledRouter = null;
            disruptor.handleEventsWith(router);
            disruptor.setDefaultExceptionHandler(new LoggingExceptionHandler());
        }
        try
        {
            // Binds the admin port now: a port in use fails start-up before any thread runs.
            metrics = BrokerMetrics.create(config, router.metrics(), transport, ringBuffer,
                this::internalErrors);
        }
        catch (final IOException | RuntimeException ex)
        {
            transport.close();
            throw ex;
        }
    }

    /**
     * Validates the config, binds and starts every thread.
     *
     * @param config settings; {@link BrokerConfig#conclude()} is called here.
     * @return the running broker.
     * @throws IOException if the address cannot be bound.
     * @throws IllegalArgumentException for a bad setting.
     */
    public static Broker launch(final BrokerConfig config) throws IOException
    {
        config.conclude();
        final Broker broker = new Broker(config);
        if (null != broker.disruptor)
        {
            broker.disruptor.start();
        }
        try
        {
            broker.transport.start(broker.polledRouter);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != broker.disruptor)
            {
                broker.disruptor.halt();
            }
            broker.transport.close();
            broker.metrics.close();
            throw ex;
        }
        broker.metrics.start();
        return broker;
    }

    /** @return the settings in force. */
    public BrokerConfig config()
    {
        return config;
    }

    /** @return the address actually bound (port resolved when configured as 0). */
    public InetSocketAddress localAddress()
    {
        return transport.localAddress();
    }

    /** @return the admin HTTP endpoint's address (port resolved when configured as 0), or null when it is off. */
    public InetSocketAddress adminAddress()
    {
        return metrics.adminAddress();
    }

    /** @return connections accepted and not yet closed. */
    public long connectionsOpen()
    {
        return transport.connectionsOpen();
    }

    /**
     * @return direct memory allocated so far for connections' outbound rings and staging buffers, in bytes; closed
     * connections' memory is reused, so this follows the most connections open at once.
     */
    public long connectionMemoryBytes()
    {
        return transport.connectionMemoryBytes();
    }

    /** @return peers disconnected as slow consumers since start. */
    public long slowConsumerDisconnects()
    {
        return router.slowConsumerDisconnects();
    }

    /** @return messages written into recipients' outbound rings since start. */
    public long messagesDelivered()
    {
        return router.messagesDelivered();
    }

    /** @return unexpected exceptions in the broker's handler or the transport's agents; zero unless there is a bug. */
    public long internalErrors()
    {
        return handlerErrors.get() + transport.agentErrors();
    }

    /**
     * Orderly shutdown: stop accepting, hand over and route every complete line already read, flush outbound rings
     * within {@code flush-timeout-ms}, close every connection. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        transport.stopAccepting();
        transport.stopReading();
        if (null != disruptor)
        {
            try
            {
                disruptor.shutdown(Math.max(1000, config.get(FLUSH_TIMEOUT_MS)), TimeUnit.MILLISECONDS);
            }
            catch (final TimeoutException ex)
            {
                LOG.log(System.Logger.Level.ERROR, "broker thread did not drain the ring in time; halting it");
                disruptor.halt();
            }
        }
        // In the shared mode the shared thread drains the ring itself before it flushes; this waits for it.
        transport.flushAndClose();
        metrics.close(); // last: its final interval then holds every message written
    }

    private static WaitStrategy waitStrategy(final BrokerConfig.WaitStrategyKind kind)
    {
        switch (kind)
        {
            case PHASED:
                return PhasedBackoffWaitStrategy.withLock(20, 100, TimeUnit.MICROSECONDS);
            case YIELDING:
                return new YieldingWaitStrategy();
            case BUSY_SPIN:
                return new BusySpinWaitStrategy();
            default:
                return new BlockingWaitStrategy();
        }
    }

    /** Counts and logs; never halts the broker thread. */
    private final class LoggingExceptionHandler implements ExceptionHandler<InboundEvent>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final InboundEvent event)
        {
            handlerErrors.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "broker failed on event " + sequence + " from " +
                event.connection, ex);
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            handlerErrors.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "broker failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            handlerErrors.incrementAndGet();
            LOG.log(System.Logger.Level.ERROR, "broker failed to shut down", ex);
        }
    }
}
