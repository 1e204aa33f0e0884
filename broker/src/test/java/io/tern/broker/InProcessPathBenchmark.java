/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.tern.transport.Connection;
import io.tern.transport.InProcessTransport;
import io.tern.transport.InboundBatch;
import io.tern.transport.LineArena;
import io.tern.transport.Transport;

import static io.tern.broker.Settings.INBOUND_BUFFER_BYTES;
import static io.tern.broker.Settings.OUTBOUND_RING_BYTES;
import static io.tern.broker.Settings.RING_SIZE;
import static io.tern.broker.Settings.WRITE_BUFFER_BYTES;

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
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = BenchmarkSupport.AGRONA_EXPORTS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class InProcessPathBenchmark
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
        final BrokerConfig config = BenchmarkSupport.defaults();
        // As Broker builds it for --threading shared: one producer, polled on the publishing thread.
        final RingBuffer<InboundEvent> ringBuffer = RingBuffer.createSingleProducer(InboundEvent::new,
            config.get(RING_SIZE), new BusySpinWaitStrategy());
        sink = new DisruptorInboundSink(ringBuffer);
        transport = BenchmarkSupport.unstartedTransport(config, sink);
        router = BenchmarkSupport.router(transport, config);
        polledRouter = new PolledRouter(ringBuffer, router, new FailingExceptionHandler());

        final Connection alice = InProcessTransport.connection(0, config.get(OUTBOUND_RING_BYTES),
            config.get(WRITE_BUFFER_BYTES));
        bob = InProcessTransport.connection(1, config.get(OUTBOUND_RING_BYTES), config.get(WRITE_BUFFER_BYTES));
        final LineArena arena = new LineArena(config.get(INBOUND_BUFFER_BYTES));
        final long readNs = BenchmarkSupport.readNsAnHourAhead();
        final InboundBatch names = InProcessTransport.batch(arena, 2);
        InProcessTransport.addLine(names, InboundBatch.NEW_PEER, alice, BenchmarkSupport.SENDER_LINE, readNs);
        InProcessTransport.addLine(names, InboundBatch.NEW_PEER, bob, BenchmarkSupport.RECIPIENT_LINE, readNs);
        publishAndRoute(names);

        // The same lines are published again and again. The router releases their arena positions each time, which
        // only a reader appending new lines would read; none does here.
        one = InProcessTransport.batch(arena, 1);
        InProcessTransport.addLine(one, InboundBatch.MESSAGE, alice, BenchmarkSupport.MESSAGE_LINE, readNs);
        sixteen = InProcessTransport.batch(arena, 16);
        for (int i = 0; i < 16; i++)
        {
            InProcessTransport.addLine(sixteen, InboundBatch.MESSAGE, alice, BenchmarkSupport.MESSAGE_LINE, readNs);
        }

        BenchmarkSupport.checkDelivered(batchOf1(), 1);
        BenchmarkSupport.checkDelivered(batchOf16(), 16);
    }

    @TearDown
    public void tearDown()
    {
        BenchmarkSupport.checkNoSlowConsumer(router);
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
    @OperationsPerInvocation(16)
    public int batchOf16()
    {
        publishAndRoute(sixteen);
        return InProcessTransport.drain(bob);
    }

    private void publishAndRoute(final InboundBatch batch)
    {
        if (!sink.tryPublish(batch))
        {
            throw new IllegalStateException("ring full: the poll below should have emptied it");
        }
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
