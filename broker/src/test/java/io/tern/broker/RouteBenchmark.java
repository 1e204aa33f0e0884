/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

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
import static io.tern.broker.Settings.WRITE_BUFFER_BYTES;

/**
 * The broker thread's work for one message: {@link Router#onEvent} of {@code bob: <64 bytes>} from alice, both
 * registered by {@code NEW_PEER} events first. Per message that is: the read-to-route stamp and histogram record,
 * finding the {@code :}, trimming, the name lookup with the flyweight key, the stamped write of
 * {@code from alice: <text>\n} into bob's outbound ring, and at the end of the batch the hand-off to bob's writer.
 * The benchmark thread then plays bob's writer and drains the ring into the staging buffer, so it never fills; that
 * drain is included (see {@link OutboundBenchmark} for its share). Garbage-free: expect {@code gc.alloc.rate.norm}
 * ≈ 0 B/op.
 * <p>
 * The router runs over a {@link Transport} that is built but not started. The writer never takes bob from its queue,
 * so from the second batch on the hand-off is the {@code scheduled} flag's atomic exchange only, with no queue offer
 * and no selector wake-up: this measures the broker thread, not the thread hand-off.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = BenchmarkSupport.AGRONA_EXPORTS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RouteBenchmark
{
    private Transport transport;
    private Router router;
    private Connection alice;
    private Connection bob;
    private InboundEvent message;
    private long sequence;

    @Setup
    public void setUp() throws IOException
    {
        final BrokerConfig config = BenchmarkSupport.defaults();
        transport = BenchmarkSupport.unstartedTransport(config, batch -> false);
        router = BenchmarkSupport.router(transport, config);
        alice = InProcessTransport.connection(0, config.get(OUTBOUND_RING_BYTES), config.get(WRITE_BUFFER_BYTES));
        bob = InProcessTransport.connection(1, config.get(OUTBOUND_RING_BYTES), config.get(WRITE_BUFFER_BYTES));

        final long readNs = BenchmarkSupport.readNsAnHourAhead();
        final InboundBatch batch = InProcessTransport.batch(new LineArena(config.get(INBOUND_BUFFER_BYTES)), 3);
        InProcessTransport.addLine(batch, InboundBatch.NEW_PEER, alice, BenchmarkSupport.SENDER_LINE, readNs);
        InProcessTransport.addLine(batch, InboundBatch.NEW_PEER, bob, BenchmarkSupport.RECIPIENT_LINE, readNs);
        InProcessTransport.addLine(batch, InboundBatch.MESSAGE, alice, BenchmarkSupport.MESSAGE_LINE, readNs);
        final InboundEvent event = new InboundEvent();
        for (int i = 0; i < 2; i++)
        {
            event.set(batch, i);
            router.onEvent(event, sequence++, true);
        }
        message = new InboundEvent();
        message.set(batch, 2);

        BenchmarkSupport.checkDelivered(routeOneMessage(), 1);
        BenchmarkSupport.checkDelivered(routeBatchOf16(), 16);
    }

    @TearDown
    public void tearDown()
    {
        BenchmarkSupport.checkNoSlowConsumer(router);
        transport.close();
    }

    /** A Disruptor batch of one message ({@code endOfBatch} on it), then bob's writer drains one message. */
    @Benchmark
    public int routeOneMessage()
    {
        route(true);
        return InProcessTransport.drain(bob);
    }

    /** A Disruptor batch of 16 messages, then bob's writer drains all 16 in one go; reported per message. */
    @Benchmark
    @OperationsPerInvocation(16)
    public int routeBatchOf16()
    {
        for (int i = 1; i < 16; i++)
        {
            route(false);
        }
        route(true);
        return InProcessTransport.drain(bob);
    }

    private void route(final boolean endOfBatch)
    {
        // The router clears the slot's connection after each event (the ring reuses it); a reader would set it again.
        message.connection = alice;
        router.onEvent(message, sequence++, endOfBatch);
    }
}
