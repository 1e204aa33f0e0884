/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.util.concurrent.TimeUnit;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutBlockingWaitStrategy;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.status.AtomicCounter;

import io.tern.transport.Transport;
import io.tern.transport.TransportAgent;

import static io.tern.broker.Settings.CLUSTER_MEMBERS;
import static io.tern.broker.Settings.FLUSH_TIMEOUT_MS;
import static io.tern.broker.Settings.READERS;
import static io.tern.broker.Settings.RING_SIZE;
import static io.tern.broker.Settings.THREADING;
import static io.tern.broker.Settings.WAIT_STRATEGY;
import static io.tern.broker.Settings.WRITERS;

/**
 * The one place that decides which threads run the broker's duties, as Aeron's {@code MediaDriver} does with its
 * {@code ThreadingMode}: it resolves the threading mode, builds the Disruptor ring for it, and runs the transport's
 * agents and the {@link Router}. The agents never learn the mode.
 * <pre>
 *   dedicated:  acceptor   reader-0..R-1 ──▶ RingBuffer ──▶ broker (Disruptor BatchEventProcessor ▶ Router)
 *               [authenticator, verifier-0..V-1, credentials-watcher]  │ schedule, wake
 *                                                             ▼
 *                                                    writer-0..W-1           one AgentRunner per agent
 *
 *   shared:     acceptor   [authenticator, verifier-0..V-1, credentials-watcher]
 *                                            shared: reader-0 ▶ RingBuffer ▶ EventPoller ▶ Router ▶ writer-0
 *                                                    (one AgentRunner over the transport's composite agent)
 * </pre>
 * Orderly stop ({@link #close()}): stop accepting, let the readers hand over every line already read, let the Router
 * route all of it, let the writers flush within {@code flush-timeout-ms}, then close every runner (each agent closes
 * its own selector and sockets in {@code onClose}). Start-up and shutdown run on the caller's thread; not thread safe.
 */
final class BrokerThreads implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(BrokerThreads.class.getName());
    /** With no event for this long, the broker thread gives back idle peers' outbound memory. */
    private static final long IDLE_TIMEOUT_MS = 10;

    private final BrokerConfig.ThreadingMode mode;
    private final long flushTimeoutMs;
    private final RingBuffer<InboundEvent> ringBuffer;
    /** The ring's own {@code broker} thread, in the dedicated mode; null in the shared one. */
    private final Disruptor<InboundEvent> disruptor;
    private final AtomicCounter agentErrors;
    private Transport transport;
    private Thread acceptorThread;
    private AgentRunner authenticatorRunner;
    private AgentRunner[] verifierRunners = new AgentRunner[0];
    private AgentRunner watcherRunner;
    private AgentRunner[] readerRunners = new AgentRunner[0];
    private AgentRunner[] writerRunners = new AgentRunner[0];
    private AgentRunner sharedRunner;
    private boolean closed;

    /**
     * Resolves the threading mode and builds the ring for it.
     *
     * @param config      concluded settings.
     * @param agentErrors counts the agents' unexpected exceptions, from any agent thread.
     * @throws IllegalArgumentException for a setting the resolved mode would ignore.
     */
    BrokerThreads(final BrokerConfig config, final AtomicCounter agentErrors)
    {
        this.agentErrors = agentErrors;
        this.mode = resolve(config);
        this.flushTimeoutMs = config.get(FLUSH_TIMEOUT_MS);
        // In a cluster the cluster agent publishes into the ring too (ClusterInboundSink): more than one producer.
        final boolean clustered = !config.get(CLUSTER_MEMBERS).isEmpty();
        if (mode == BrokerConfig.ThreadingMode.SHARED)
        {
            // Polled on the publishing thread itself, never waited on: the wait strategy is only ever signalled.
            disruptor = null;
            ringBuffer = clustered ?
                RingBuffer.createMultiProducer(InboundEvent::new, config.get(RING_SIZE), new BusySpinWaitStrategy()) :
                RingBuffer.createSingleProducer(InboundEvent::new, config.get(RING_SIZE), new BusySpinWaitStrategy());
        }
        else
        {
            disruptor = new Disruptor<>(
                InboundEvent::new,
                config.get(RING_SIZE),
                runnable -> new Thread(runnable, "broker"),
                config.get(READERS) == 1 && !clustered ? ProducerType.SINGLE : ProducerType.MULTI,
                waitStrategy(config.get(WAIT_STRATEGY)));
            ringBuffer = disruptor.getRingBuffer();
        }
    }

    /**
     * The threading mode in force: {@code auto} is shared with one reader and one writer (measured on 2 cores, one
     * thread beats three at every load we tried: docs/design.md, "Threads and waiting"), dedicated otherwise. The
     * one place that decides it; {@link BrokerConfig#describe()} shows what it chose.
     *
     * @param config concluded settings.
     * @return shared or dedicated.
     */
    static BrokerConfig.ThreadingMode threading(final BrokerConfig config)
    {
        final BrokerConfig.ThreadingMode requested = config.get(THREADING);
        if (requested != BrokerConfig.ThreadingMode.AUTO)
        {
            return requested;
        }
        return config.get(READERS) == 1 && config.get(WRITERS) == 1 ?
            BrokerConfig.ThreadingMode.SHARED : BrokerConfig.ThreadingMode.DEDICATED;
    }

    /**
     * {@link #threading(BrokerConfig)}, refusing a setting that mode would ignore.
     *
     * @param config concluded settings.
     * @return shared or dedicated.
     * @throws IllegalArgumentException if {@code --wait-strategy} was set and the mode is shared, which has no broker
     *                                  thread to wait.
     */
    static BrokerConfig.ThreadingMode resolve(final BrokerConfig config)
    {
        final BrokerConfig.ThreadingMode resolved = threading(config);
        if (resolved == BrokerConfig.ThreadingMode.SHARED && config.isSet(WAIT_STRATEGY))
        {
            throw new IllegalArgumentException("--" + WAIT_STRATEGY.name() + "=" +
                WAIT_STRATEGY.format(config.get(WAIT_STRATEGY)) + ": only used with --threading dedicated");
        }
        return resolved;
    }

    /** @return the threading mode in force, shared or dedicated. */
    BrokerConfig.ThreadingMode mode()
    {
        return mode;
    }

    /** @return the ring readers publish into. */
    RingBuffer<InboundEvent> ringBuffer()
    {
        return ringBuffer;
    }

    /**
     * Gives each agent its runner, as the mode says, without starting any thread: a runner never started still closes
     * its agent ({@code onClose}), so {@link #abort()} frees everything if start-up fails from here on.
     *
     * @param transport          the transport, built over {@link #ringBuffer()}.
     * @param router             the ring's handler.
     * @param clusterLink        in a cluster, the links the shared thread reads; null otherwise.
     * @param exceptionHandler   counts and logs the router's exceptions.
     * @param credentialsWatcher reloads the credentials file when it changes, or null for none.
     */
    void compose(
        final Transport transport,
        final Router router,
        final ClusterLink clusterLink,
        final ExceptionHandler<InboundEvent> exceptionHandler,
        final CredentialsWatcher credentialsWatcher)
    {
        this.transport = transport;
        final TransportAgent authenticator = transport.authenticator();
        authenticatorRunner = null == authenticator ? null : runner(authenticator);
        verifierRunners = new AgentRunner[transport.verifierCount()];
        for (int i = 0; i < verifierRunners.length; i++)
        {
            verifierRunners[i] = runner(transport.verifier(i));
        }
        watcherRunner = null == credentialsWatcher ? null : new AgentRunner(credentialsWatcher.idleStrategy(),
            this::onAgentError, null, credentialsWatcher);
        if (mode == BrokerConfig.ThreadingMode.SHARED)
        {
            sharedRunner = runner(transport.shared(
                new PolledRouter(ringBuffer, router, clusterLink, exceptionHandler)));
        }
        else
        {
            readerRunners = new AgentRunner[transport.readerCount()];
            for (int i = 0; i < readerRunners.length; i++)
            {
                readerRunners[i] = runner(transport.reader(i));
            }
            writerRunners = new AgentRunner[transport.writerCount()];
            for (int i = 0; i < writerRunners.length; i++)
            {
                writerRunners[i] = runner(transport.writer(i));
            }
            disruptor.handleEventsWith(router);
            disruptor.setDefaultExceptionHandler(exceptionHandler);
        }
    }

    /**
     * Binds the transport and starts every thread: the acceptor, the authenticator, its verifiers and the credentials
     * watcher if any, and the readers, the router and the writers as composed.
     *
     * @throws java.io.IOException if the address cannot be bound; everything is closed again then.
     */
    void start() throws java.io.IOException
    {
        try
        {
            transport.bind();
        }
        catch (final java.io.IOException | RuntimeException ex)
        {
            abort();
            throw ex;
        }

        if (null != disruptor)
        {
            disruptor.start();
        }
        for (final AgentRunner runner : writerRunners)
        {
            AgentRunner.startOnThread(runner);
        }
        if (null != sharedRunner)
        {
            AgentRunner.startOnThread(sharedRunner);
        }
        for (final AgentRunner runner : readerRunners)
        {
            AgentRunner.startOnThread(runner);
        }
        for (final AgentRunner runner : verifierRunners)
        {
            AgentRunner.startOnThread(runner);
        }
        if (null != authenticatorRunner)
        {
            AgentRunner.startOnThread(authenticatorRunner);
        }
        if (null != watcherRunner)
        {
            AgentRunner.startOnThread(watcherRunner);
        }
        acceptorThread = new Thread(transport.acceptor(), "acceptor");
        acceptorThread.start();
    }

    /**
     * Orderly stop: stop accepting; readers hand over every complete line they have read and stop; the router routes
     * all of it; writers flush within the flush deadline and stop; every runner is closed. Idempotent.
     */
    @Override
    public void close()
    {
        if (closed || null == transport)
        {
            return;
        }
        closed = true;
        transport.stopAccepting();
        join(acceptorThread);
        CloseHelper.quietClose(watcherRunner);
        CloseHelper.quietClose(authenticatorRunner);
        for (final AgentRunner runner : verifierRunners)
        {
            CloseHelper.quietClose(runner); // after the authenticator: none is given a check any more
        }

        transport.requestStopReading();
        if (mode == BrokerConfig.ThreadingMode.SHARED)
        {
            // The shared agent routes what was read, then has the writer flush within the deadline, then ends.
            join(sharedRunner.thread());
        }
        else
        {
            for (final AgentRunner runner : readerRunners)
            {
                join(runner.thread()); // a reader ends once it has handed over everything it read
            }
            try
            {
                disruptor.shutdown(Math.max(1000, flushTimeoutMs), TimeUnit.MILLISECONDS);
            }
            catch (final TimeoutException ex)
            {
                LOG.log(System.Logger.Level.ERROR, "broker thread did not drain the ring in time; halting it");
                disruptor.halt();
            }
            transport.requestFlush(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flushTimeoutMs));
            for (final AgentRunner runner : writerRunners)
            {
                join(runner.thread());
            }
        }
        closeRunners();
        transport.close();
    }

    /** Closes every agent (through its runner, never started) and the transport, when start-up fails. Idempotent. */
    void abort()
    {
        closed = true;
        closeRunners();
        if (null != transport)
        {
            transport.close();
        }
    }

    private void closeRunners()
    {
        CloseHelper.quietClose(watcherRunner);
        CloseHelper.quietClose(authenticatorRunner);
        for (final AgentRunner runner : verifierRunners)
        {
            CloseHelper.quietClose(runner);
        }
        CloseHelper.quietClose(sharedRunner);
        for (final AgentRunner runner : readerRunners)
        {
            CloseHelper.quietClose(runner);
        }
        for (final AgentRunner runner : writerRunners)
        {
            CloseHelper.quietClose(runner);
        }
    }

    private AgentRunner runner(final TransportAgent agent)
    {
        return new AgentRunner(agent.idleStrategy(), this::onAgentError, null, agent.agent());
    }

    private void onAgentError(final Throwable ex)
    {
        if (ex instanceof AgentTerminationException)
        {
            return; // an agent finishing its orderly stop, not an error
        }
        agentErrors.increment(); // atomic: any agent thread
        LOG.log(System.Logger.Level.ERROR, "agent error on " + Thread.currentThread().getName(), ex);
    }

    private static void join(final Thread thread)
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

    /**
     * The Disruptor's wait strategy for the broker thread. Each times out after {@link #IDLE_TIMEOUT_MS} without
     * events, so the router gets {@code onTimeout} and gives back the outbound memory of peers that went idle; the
     * blocking ones block exactly as before in between.
     */
    private static WaitStrategy waitStrategy(final BrokerConfig.WaitStrategyKind kind)
    {
        switch (kind)
        {
            case PHASED:
                return new PhasedBackoffWaitStrategy(20, 100, TimeUnit.MICROSECONDS,
                    new TimeoutBlockingWaitStrategy(IDLE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            case YIELDING:
                return new IdleTimeoutWaitStrategy(true);
            case BUSY_SPIN:
                return new IdleTimeoutWaitStrategy(false);
            default:
                return new TimeoutBlockingWaitStrategy(IDLE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Busy-spins or yields as Disruptor's {@link BusySpinWaitStrategy} and {@link YieldingWaitStrategy} do (the
     * yielding one after 100 spins), but throws {@link TimeoutException} once {@link #IDLE_TIMEOUT_MS} pass without
     * an event, so the handler's {@code onTimeout} runs. Garbage-free.
     */
    private static final class IdleTimeoutWaitStrategy implements WaitStrategy
    {
        private static final int SPIN_TRIES = 100;
        private static final int CLOCK_CHECK_MASK = 1023;
        private final boolean yields;

        IdleTimeoutWaitStrategy(final boolean yields)
        {
            this.yields = yields;
        }

        @Override
        public long waitFor(final long sequence, final Sequence cursor, final Sequence dependentSequence,
            final SequenceBarrier barrier) throws AlertException, TimeoutException
        {
            long available;
            long deadlineNs = 0;
            int counter = 0;
            while ((available = dependentSequence.get()) < sequence)
            {
                barrier.checkAlert();
                if (yields && counter >= SPIN_TRIES)
                {
                    Thread.yield();
                }
                else
                {
                    Thread.onSpinWait();
                }
                if ((++counter & CLOCK_CHECK_MASK) == 0)
                {
                    final long nowNs = System.nanoTime();
                    if (0 == deadlineNs)
                    {
                        deadlineNs = nowNs + TimeUnit.MILLISECONDS.toNanos(IDLE_TIMEOUT_MS);
                    }
                    else if (nowNs - deadlineNs > 0)
                    {
                        throw TimeoutException.INSTANCE;
                    }
                }
            }
            return available;
        }

        @Override
        public void signalAllWhenBlocking()
        {
        }
    }
}
