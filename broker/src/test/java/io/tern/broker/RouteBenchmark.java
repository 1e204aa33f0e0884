/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;

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
public class RouteBenchmark extends BenchmarkSupport
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
        final BrokerConfig config = defaults();
        transport = unstartedTransport(config, batch -> false);
        router = router(transport, config);
        alice = connection(config, 0);
        bob = connection(config, 1);

        final long readNs = readNsAnHourAhead();
        final LineArena arena = new LineArena(config.get(Settings.INBOUND_BUFFER_BYTES));
        final InboundBatch batch = InProcessTransport.batch(arena, 3);
        addPeers(batch, alice, bob, readNs);
        addMessages(batch, alice, 1, readNs);
        final InboundEvent event = new InboundEvent();
        for (int i = 0; i < 2; i++)
        {
            event.set(batch, i);
            router.onEvent(event, sequence++, true);
        }
        message = new InboundEvent();
        message.set(batch, 2);

        checkDelivered(routeOneMessage(), 1);
        checkDelivered(routeBatchOf16(), BATCH);
    }

    @TearDown
    public void tearDown()
    {
        checkNoSlowConsumer(router);
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
    @OperationsPerInvocation(BATCH)
    public int routeBatchOf16()
    {
        for (int i = 1; i < BATCH; i++)
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
