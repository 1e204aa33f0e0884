/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;

import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Outbound memory follows traffic: a peer with nothing queued holds no segment, a prompt reader takes a burst far
 * larger than any fixed ring whole, a peer that stops reading is cut at its bound ({@code max-queued-bytes-per-peer})
 * and not before, and all peers together stay within the budget ({@code outbound-budget-bytes}), the peer with the
 * largest backlog being the one cut when it runs out. Both threading modes.
 */
class OutboundMemoryTest extends BrokerTestSupport
{
    @AfterEach
    void shouldHaveNoInternalErrors()
    {
        if (null != broker)
        {
            assertEquals(0, broker.internalErrors(), "exceptions in the broker's handler or agents");
        }
    }

    private static final long SMALLEST_SEGMENT_BYTES = 4096 + RingBufferDescriptor.TRAILER_LENGTH + 64;

    @ParameterizedTest
    @ValueSource(strings = { "shared", "dedicated" })
    @Timeout(60)
    void shouldHoldNoSegmentOnceIdlePeersHaveReadWhatTheyWereSent(final String threading) throws Exception
    {
        startBroker(new BrokerConfig().threading(threading));
        final int peers = 50;
        for (int i = 0; i < peers; i++)
        {
            register("idle-" + i); // each receives its self-probe and reads it
        }
        assertTrue(broker.outboundMemoryAllocatedBytes() >= SMALLEST_SEGMENT_BYTES, "the probes took segments");
        awaitCondition("every idle peer's segment to come back", Duration.ofSeconds(20),
            () -> broker.outboundMemoryInUseBytes() == 0);
        assertTrue(broker.outboundMemoryAllocatedBytes() <= peers * SMALLEST_SEGMENT_BYTES,
            "allocated " + broker.outboundMemoryAllocatedBytes());
        awaitCondition("nothing queued", Duration.ofSeconds(20), () -> broker.outboundQueuedBytes() == 0);
    }

    /** The case a fixed 256 KiB ring failed: a receiver reading as fast as it can, sent 2 MiB at once. */
    @ParameterizedTest
    @ValueSource(strings = { "shared", "dedicated" })
    @Timeout(60)
    void shouldDeliverABurstBelowTheBoundWholeToAPromptReader(final String threading) throws Exception
    {
        startBroker(new BrokerConfig().threading(threading));
        final LineClient sender = register("sender");
        final LineClient receiver = register("receiver");
        final int messages = 512;
        final String text = "y".repeat(4000);
        final Future<Integer> reading = executor.submit(() ->
        {
            for (int i = 0; i < messages; i++)
            {
                assertEquals("from sender: " + i + " " + text, receiver.readLine(), "message " + i);
            }
            return messages;
        });
        final StringBuilder burst = new StringBuilder(messages * 4010);
        for (int i = 0; i < messages; i++)
        {
            burst.append("receiver: ").append(i).append(' ').append(text).append('\n');
        }
        sender.sendRaw(burst.toString().getBytes(StandardCharsets.US_ASCII));
        assertEquals(messages, join(reading, Duration.ofSeconds(30), "the burst"));
        assertEquals(0, broker.slowConsumerDisconnects(), "a prompt reader is never cut");
        assertNextLineIsProbe(receiver, sender);
    }

    @ParameterizedTest
    @ValueSource(strings = { "shared", "dedicated" })
    @Timeout(60)
    void shouldCutAPeerThatStopsReadingAtItsBoundAndNotBefore(final String threading) throws Exception
    {
        final long bound = 128 * 1024;
        startBroker(new BrokerConfig().threading(threading).maxLineBytes(2048).maxQueuedBytesPerPeer(bound));
        final LineClient slow = register("slow", 4096); // and from now on it never reads
        final LineClient sender = register("sender");
        final String text = "z".repeat(1000);
        final int lineBytes = ("from sender: " + text + "\n").length();
        long routedBytes = 0;
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (broker.slowConsumerDisconnects() == 0)
        {
            final StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 8; i++)
            {
                batch.append("slow: ").append(text).append('\n');
            }
            final String probe = nextProbe();
            batch.append("sender: ").append(probe).append('\n');
            sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
            String line;
            while (!(line = sender.readLine()).equals("from sender: " + probe))
            {
                assertEquals("error: no peer 'slow'", line); // what followed the cut in this batch
            }
            if (broker.slowConsumerDisconnects() == 0)
            {
                routedBytes += 8L * lineBytes;
                assertTrue(routedBytes < bound + 64L * 1024 * 1024, "never cut");
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("not cut after " + routedBytes + " bytes");
            }
        }
        // Everything routed before this batch was taken: the queue (what the socket has not taken) was at most that.
        assertTrue(routedBytes + 8L * lineBytes > bound, "cut after " + routedBytes + " bytes routed, bound " + bound);
        assertEquals(1, broker.slowConsumerDisconnects());
        final List<String> last = slow.awaitClosed(Duration.ofSeconds(20));
        if (!last.isEmpty())
        {
            final String end = last.get(last.size() - 1);
            assertTrue(end.equals("error: slow consumer") || end.startsWith("from sender: "), end);
        }
    }

    /**
     * Three peers stop reading: "big" with the largest backlog, "small", and "third", which is sent to until the
     * budget runs out (before any of them reaches its own bound). "big" is the one cut; then many slow peers flooded together never push the memory charged past
     * the budget, and a prompt pair loses nothing meanwhile.
     */
    @ParameterizedTest
    @ValueSource(strings = { "shared", "dedicated" })
    @Timeout(120)
    void shouldKeepQueuedMemoryWithinTheBudgetByCuttingTheLargestBacklog(final String threading) throws Exception
    {
        final long budget = 3L * 1024 * 1024;
        startBroker(new BrokerConfig().threading(threading).maxLineBytes(8192)
            .maxQueuedBytesPerPeer(4L * 1024 * 1024).outboundBudgetBytes(budget));
        final LineClient sender = register("sender");
        final LineClient ping = register("ping");
        final LineClient pong = register("pong");
        register("big", 4096);
        register("small", 4096);
        register("third", 4096);
        final String text = "b".repeat(8000);
        int round = 0;

        // Queued in the broker, whatever the sockets' buffers took: the others read, so the total is big's, then
        // big's and small's. Held as segments: about 2 MiB for big, 0.5 MiB for small; third trips the budget below
        // 0.5 MiB of its own.
        while (broker.outboundQueuedBytes() < 1_500_000)
        {
            sendTo(sender, "big", text, 4);
        }
        pingPong(ping, pong, round++);
        final long bigQueued = broker.outboundQueuedBytes();
        while (broker.outboundQueuedBytes() < bigQueued + 200_000)
        {
            sendTo(sender, "small", text, 4);
        }
        pingPong(ping, pong, round++);
        final long deadlineNs = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (broker.slowConsumerDisconnects() == 0)
        {
            sendTo(sender, "third", text, 4);
            pingPong(ping, pong, round++);
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("the budget never ran out");
            }
        }
        assertEquals(1, broker.slowConsumerDisconnects());
        assertRegistered(sender, "small");
        assertRegistered(sender, "third");
        assertNotRegistered(sender, "big");
        assertTrue(broker.outboundMemoryHighWaterBytes() <= budget,
            "high-water " + broker.outboundMemoryHighWaterBytes() + " over the budget " + budget);

        final List<String> flooded = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            flooded.add("slow-" + i);
            register("slow-" + i, 4096);
        }
        final long cutsBefore = broker.slowConsumerDisconnects();
        final long floodDeadlineNs = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (broker.slowConsumerDisconnects() < cutsBefore + 4)
        {
            final StringBuilder batch = new StringBuilder();
            for (final String name : flooded)
            {
                batch.append(name).append(": ").append(text).append('\n');
            }
            final String probe = nextProbe();
            batch.append("sender: ").append(probe).append('\n');
            sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
            String line;
            while (!(line = sender.readLine()).equals("from sender: " + probe))
            {
                assertTrue(line.startsWith("error: no peer 'slow-"), line);
            }
            pingPong(ping, pong, round++);
            assertTrue(broker.outboundMemoryHighWaterBytes() <= budget,
                "high-water " + broker.outboundMemoryHighWaterBytes() + " over the budget " + budget);
            if (System.nanoTime() - floodDeadlineNs > 0)
            {
                fail("only " + (broker.slowConsumerDisconnects() - cutsBefore) + " slow peers cut");
            }
        }
        for (int i = 0; i < 50; i++)
        {
            pingPong(ping, pong, round++);
        }
        assertNextLineIsProbe(ping, pong); // nothing lost or left over for the prompt pair
        assertNextLineIsProbe(pong, ping);
        assertTrue(broker.outboundMemoryHighWaterBytes() <= budget,
            "high-water " + broker.outboundMemoryHighWaterBytes() + " over the budget " + budget);
    }

    /** The broker's own accounting at a few thousand connections: idle peers hold no outbound memory. */
    @Test
    @Timeout(180)
    void shouldHoldNoOutboundMemoryForThreeThousandIdlePeers() throws Exception
    {
        final int peers = 3000;
        final int writeBufferBytes = 16384;
        startBroker(new BrokerConfig().maxConnections(peers + 10).writeBufferBytes(writeBufferBytes));
        for (int i = 0; i < peers; i++)
        {
            register("p" + i); // each receives one message (its self-probe) and reads it
        }
        awaitCondition("every idle peer's segment to come back", Duration.ofSeconds(60),
            () -> broker.outboundMemoryInUseBytes() == 0);
        assertTrue(broker.outboundMemoryAllocatedBytes() <= peers * SMALLEST_SEGMENT_BYTES,
            "outbound memory allocated " + broker.outboundMemoryAllocatedBytes());
        assertTrue(broker.connectionMemoryBytes() <= peers * (writeBufferBytes + SMALLEST_SEGMENT_BYTES) +
            10L * writeBufferBytes, "connection memory " + broker.connectionMemoryBytes());
        assertEquals(peers, broker.connectionsOpen());
        assertEquals(0, broker.slowConsumerDisconnects());
    }

    private static void sendTo(final LineClient sender, final String recipient, final String text, final int count)
        throws Exception
    {
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            batch.append(recipient).append(": ").append(text).append('\n');
        }
        final String probe = nextProbe();
        batch.append("sender: ").append(probe).append('\n');
        sender.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
        String line;
        while (!(line = sender.readLine()).equals("from sender: " + probe))
        {
            assertEquals("error: no peer '" + recipient + "'", line);
        }
    }

    private static void assertRegistered(final LineClient sender, final String name) throws Exception
    {
        final String probe = nextProbe();
        sender.send(name + ": x\n" + sender.name() + ": " + probe);
        assertEquals("from " + sender.name() + ": " + probe, sender.readLine(), name + " is still registered");
    }

    private static void assertNotRegistered(final LineClient sender, final String name) throws Exception
    {
        final String probe = nextProbe();
        sender.send(name + ": x\n" + sender.name() + ": " + probe);
        assertEquals("error: no peer '" + name + "'", sender.readLine(), name + " was cut");
        assertEquals("from " + sender.name() + ": " + probe, sender.readLine());
    }

    private static void pingPong(final LineClient ping, final LineClient pong, final int round) throws Exception
    {
        ping.send("pong: ping " + round);
        assertEquals("from ping: ping " + round, pong.readLine(), "round " + round);
        pong.send("ping: pong " + round);
        assertEquals("from pong: pong " + round, ping.readLine(), "round " + round);
    }
}
