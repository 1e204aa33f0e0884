/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import io.tern.transport.Connection;
import io.tern.transport.InProcessTransport;
import io.tern.transport.InboundBatch;
import io.tern.transport.LineArena;
import io.tern.transport.Transport;

/**
 * The whole in-process path of a message, as the shared threading mode runs it on one thread: a reader's batch
 * published by {@link DisruptorInboundSink}, polled off the ring by {@link PolledRouter}, routed by the
 * {@link Router} into bob's outbound ring, and drained by bob's writer into its staging buffer. Everything but the
 * sockets and the thread hand-offs (see {@link RouteBenchmark} for what the hand-off to the writer costs here).
 * Garbage-free: expect {@code gc.alloc.rate.norm} ≈ 0 B/op.
 * <pre>
 *   batch ─▶ tryPublish ─▶ RingBuffer&lt;InboundEvent&gt; ─▶ PolledRouter.poll ─▶ Router
 *         ─▶ bob's Outbound ─▶ drain to staging
 * </pre>
 */
public class InProcessPathBenchmark extends BenchmarkSupport
{
    private Transport transport;
    private Router router;
    private DisruptorInboundSink sink;
    private PolledRouter polledRouter;
    private Connection bob;
    private InboundBatch one;
    private InboundBatch sixteen;

    @Setup
    public void setUp() throws IOException
    {
        final BrokerConfig config = defaults();
        // As BrokerThreads builds it for --threading shared: one producer, polled on the publishing thread.
        final RingBuffer<InboundEvent> ringBuffer = RingBuffer.createSingleProducer(InboundEvent::new,
            config.get(Settings.RING_SIZE), new BusySpinWaitStrategy());
        sink = new DisruptorInboundSink(ringBuffer);
        transport = unstartedTransport(config, sink);
        router = router(transport, config);
        polledRouter = new PolledRouter(ringBuffer, router, null, new FailingExceptionHandler());

        final Connection alice = connection(config, 0);
        bob = connection(config, 1);
        final LineArena arena = new LineArena(config.get(Settings.INBOUND_BUFFER_BYTES));
        final long readNs = readNsAnHourAhead();
        final InboundBatch names = InProcessTransport.batch(arena, 2);
        addPeers(names, alice, bob, readNs);
        publishAndRoute(names);

        // The same lines are published again and again. The router releases their arena positions each time, which
        // only a reader appending new lines would read; none does here.
        one = messageBatch(arena, alice, 1, readNs);
        sixteen = messageBatch(arena, alice, BATCH, readNs);

        checkDelivered(batchOf1(), 1);
        checkDelivered(batchOf16(), BATCH);
    }

    @TearDown
    public void tearDown()
    {
        checkNoSlowConsumer(router);
        transport.close();
    }

    /** A read that framed one line, all the way to bob's staging buffer. */
    @Benchmark
    public int batchOf1()
    {
        publishAndRoute(one);
        return InProcessTransport.drain(bob);
    }

    /** A read that framed 16 lines: one publish, one poll (one batch for the router), one drain; per message. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int batchOf16()
    {
        publishAndRoute(sixteen);
        return InProcessTransport.drain(bob);
    }

    private void publishAndRoute(final InboundBatch batch)
    {
        publish(sink, batch);
        polledRouter.poll();
    }

    /** A router failure must fail the run, not be counted and measured. */
    private static final class FailingExceptionHandler implements ExceptionHandler<InboundEvent>
    {
        @Override
        public void handleEventException(final Throwable ex, final long sequence, final InboundEvent event)
        {
            throw new IllegalStateException("router failed on event " + sequence, ex);
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
