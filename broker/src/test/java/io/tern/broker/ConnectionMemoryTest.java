/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A connection's direct memory (its outbound segments) is reused once it closes, so clients coming and
 * going, or a flooded receiver cut again and again, cost no more than the connections open at once: a broker that never
 * collects garbage would otherwise keep every closed connection's buffers until the GC happened to run.
 */
class ConnectionMemoryTest extends BrokerTestSupport
{
    private static final int MAX_QUEUED_BYTES = 16 * 1024;
    private static final int WRITE_BUFFER_BYTES = 4 * 1024;
    /** The smallest outbound segment: what a connection that received a reply took (read and staging buffers are
     * per reader and per writer, not per connection). */
    private static final long SET_BYTES = 4096 + RingBufferDescriptor.TRAILER_LENGTH + 64;

    @Test
    @Timeout(60)
    void shouldReuseTheMemoryOfClosedConnections() throws Exception
    {
        startBroker(config());
        final LineClient observer = register("observer");
        final long base = broker.connectionMemoryBytes(); // the reader's and writer's own buffers, the observer's
        final int churned = 100;
        for (int i = 0; i < churned; i++)
        {
            register("churn-" + i).close();
        }
        // Once every churned client is gone, a new one gets memory back from the pool rather than new memory.
        awaitCondition("the churned connections to close", Duration.ofSeconds(20),
            () -> broker.connectionsOpen() == 1);
        final long afterChurn = broker.connectionMemoryBytes();
        assertTrue(afterChurn - base <= 8 * SET_BYTES, "memory for " + churned + " connections that came and " +
            "went one at a time: " + (afterChurn - base) / SET_BYTES + " sets allocated");
        register("later").close();
        assertEquals(afterChurn, broker.connectionMemoryBytes(), "a new connection reused a closed one's memory");
        observer.close();
    }

    /**
     * Victims cut with full queues leave unread records behind; the connection that gets their segments next must see
     * only its own messages.
     */
    @Test
    @Timeout(60)
    void shouldHandAClosedSlowConsumersMemoryOnCleared() throws Exception
    {
        startBroker(config());
        final LineClient flooder = register("flooder");
        final String padding = "v".repeat(500);
        for (int cycle = 0; cycle < 5; cycle++)
        {
            final String victim = "victim-" + cycle;
            final LineClient client = register(victim, 4096); // never reads again
            final long cutsBefore = broker.slowConsumerDisconnects();
            final long deadlineNs = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (broker.slowConsumerDisconnects() == cutsBefore)
            {
                flooder.sendRaw((victim + ": " + padding + "\n").repeat(8).getBytes(StandardCharsets.US_ASCII));
                if (System.nanoTime() - deadlineNs > 0)
                {
                    fail(victim + " was not cut");
                }
            }
            client.close();
            // What the flooder sent after the cut comes back as "no peer"; a probe to itself ends that run.
            final String probe = nextProbe();
            flooder.send("flooder: " + probe);
            String line;
            while (!(line = flooder.readLine()).equals("from flooder: " + probe))
            {
                assertEquals("error: no peer '" + victim + "'", line);
            }
        }
        awaitCondition("the victims to close", Duration.ofSeconds(20), () -> broker.connectionsOpen() == 1);
        final long memory = broker.connectionMemoryBytes();

        final LineClient fresh = register("fresh");
        for (int i = 0; i < 20; i++)
        {
            flooder.send("fresh: message " + i);
        }
        for (int i = 0; i < 20; i++)
        {
            assertEquals("from flooder: message " + i, fresh.readLine(), "line " + i + " on reused memory");
        }
        assertEquals(memory, broker.connectionMemoryBytes(), "the fresh connection reused a victim's memory");
        assertEquals(5, broker.slowConsumerDisconnects(), "only the victims were cut");
    }

    private static BrokerConfig config()
    {
        return new BrokerConfig().maxLineBytes(4 * 1024).maxQueuedBytesPerPeer(MAX_QUEUED_BYTES)
            .writeBufferBytes(WRITE_BUFFER_BYTES);
    }
}
