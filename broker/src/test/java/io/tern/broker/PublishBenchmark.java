/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;


import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import io.tern.transport.Connection;
import io.tern.transport.InboundBatch;
import io.tern.transport.LineArena;

/**
 * A reader's publish: {@link DisruptorInboundSink#tryPublish} of a batch of message lines into the
 * {@code RingBuffer<InboundEvent>}, each batch then taken off the ring by an {@link EventPoller} on the same thread so
 * the ring never fills. The consumer only reads each event and clears it, as the router's {@code finally} does, so
 * this is the cost of the hand-off itself: claim n, fill n events in place, publish (and, with {@code blocking}, the
 * wait strategy's signal), then the poll. Per event. Garbage-free: expect {@code gc.alloc.rate.norm} ≈ 0 B/op.
 * <pre>
 *   batch ─▶ tryPublish ─▶ RingBuffer&lt;InboundEvent&gt; ─▶ EventPoller.poll ─▶ read, clear   (all on one thread)
 * </pre>
 */
public class PublishBenchmark extends BenchmarkSupport
{
    /** {@code blocking}: the dedicated threading mode's default; {@code busy-spin}: what the shared mode uses. */
    @Param({"blocking", "busy-spin"})
    public String waitStrategy;

    private RingBuffer<InboundEvent> ringBuffer;
    private EventPoller<InboundEvent> poller;
    private DisruptorInboundSink sink;
    private InboundBatch one;
    private InboundBatch sixteen;
    // Allocated once: a lambda or method reference per poll would be garbage.
    private final EventPoller.Handler<InboundEvent> handler = this::onEvent;
    private long bytesSeen;

    @Setup
    public void setUp()
    {
        final BrokerConfig config = defaults();
        ringBuffer = RingBuffer.createSingleProducer(InboundEvent::new, config.get(Settings.RING_SIZE),
            "blocking".equals(waitStrategy) ? new BlockingWaitStrategy() : new BusySpinWaitStrategy());
        poller = ringBuffer.newPoller();
        ringBuffer.addGatingSequences(poller.getSequence());
        sink = new DisruptorInboundSink(ringBuffer);

        final LineArena arena = new LineArena(config.get(Settings.INBOUND_BUFFER_BYTES));
        final Connection alice = connection(config, 0);
        final long readNs = System.nanoTime(); // only carried along here
        one = messageBatch(arena, alice, 1, readNs);
        sixteen = messageBatch(arena, alice, BATCH, readNs);
    }

    /** A read that framed one line: one claim, one event, one publish, one poll. */
    @Benchmark
    public long batchOf1() throws Exception
    {
        return publishAndPoll(one);
    }

    /** A read that framed 16 lines: one claim of 16, one publish, one poll; reported per event. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batchOf16() throws Exception
    {
        return publishAndPoll(sixteen);
    }

    private long publishAndPoll(final InboundBatch batch) throws Exception
    {
        publish(sink, batch);
        poller.poll(handler);
        return bytesSeen;
    }

    private boolean onEvent(final InboundEvent event, final long sequence, final boolean endOfBatch)
    {
        bytesSeen += event.length;
        event.clear();
        return true;
    }
}
