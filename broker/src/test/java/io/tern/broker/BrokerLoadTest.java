/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Volume and concurrency at default settings: nothing lost, duplicated or reordered. Sized to run in seconds; longer
 * soaks belong in a {@code @Tag("slow")} class.
 */
class BrokerLoadTest extends BrokerTestSupport
{
    private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(60);

    @Test
    @Timeout(90)
    void shouldDeliver100000MessagesFromOneSenderCompleteAndInOrder() throws Exception
    {
        final int messages = 100_000;
        final int linesPerWrite = 1000;
        // The broker has no back-pressure from a receiver to a sender (by design: a slow peer must never hold up the
        // broker). A 2 MB burst that outruns the receiver's outbound ring makes it a slow consumer, however fast it
        // reads, if its thread is descheduled for a moment on 2 shared cores (seen at the default 256 KiB ring).
        // Sized so the ring could hold the whole ~2 MB stream, the run is deterministic: nothing may be lost,
        // reordered or cut off.
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(4 * 1024 * 1024));
        final LineClient tx = register("tx");
        final LineClient rx = register("rx");

        final long startNs = System.nanoTime();
        // A separate writer, so that the broker's back-pressure on tx never blocks the thread that drains rx.
        final Future<Void> writer = executor.submit(() ->
        {
            final StringBuilder batch = new StringBuilder(linesPerWrite * 24);
            for (int i = 0; i < messages; i++)
            {
                batch.append("rx: seq ").append(i).append('\n');
                if ((i + 1) % linesPerWrite == 0 || i == messages - 1)
                {
                    tx.sendRaw(batch.toString().getBytes(StandardCharsets.US_ASCII));
                    batch.setLength(0);
                }
            }
            return null;
        });

        for (int i = 0; i < messages; i++)
        {
            final byte[] expected = ("from tx: seq " + i).getBytes(StandardCharsets.US_ASCII);
            final byte[] actual = rx.readLineBytes(LineClient.DEFAULT_TIMEOUT);
            if (!Arrays.equals(expected, actual))
            {
                final int index = i;
                assertArrayEquals(expected, actual, () -> "message " + index + " of " + messages + " was " +
                    LineClient.printable(actual));
            }
        }
        join(writer, LOAD_TIMEOUT, "the writer");
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

        assertNextLineIsProbe(rx, tx);  // and nothing after the last one
        assertNextLineIsProbe(tx, tx);  // the sender got no errors
        assertEquals(0, broker.slowConsumerDisconnects());
        System.out.printf("%,d messages in order in %,d ms%n", messages, elapsedMs);
    }

    @ParameterizedTest(name = "readers={0}, writers={1}, threading={2}")
    @CsvSource({ "1, 1, dedicated", "2, 2, dedicated", "1, 1, shared" })
    @Timeout(90)
    void shouldDeliverEveryMessageExactlyOnceAmong50ConcurrentClients(
        final int readerThreads, final int writerThreads, final String threading) throws Exception
    {
        startBroker(new BrokerConfig().readers(readerThreads).writers(writerThreads).threading(threading));
        final int clientCount = 50;
        final int linesPerClient = 200;
        final int linesPerWrite = 20;
        final long seed = System.nanoTime();
        final Random random = new Random(seed);

        final List<String> names = new ArrayList<>();
        final List<LineClient> clients = new ArrayList<>();
        for (int c = 0; c < clientCount; c++)
        {
            final String name = String.format("c%02d", c);
            names.add(name);
            clients.add(register(name));
        }

        // Plan every line up front: destinations at random (self and repeats included), a unique text per line.
        final List<List<byte[]>> writesByClient = new ArrayList<>();
        final List<Map<String, Integer>> expectedByClient = new ArrayList<>();
        for (int c = 0; c < clientCount; c++)
        {
            expectedByClient.add(new HashMap<>());
        }
        long expectedDeliveries = 0;
        for (int c = 0; c < clientCount; c++)
        {
            final List<byte[]> writes = new ArrayList<>();
            final StringBuilder batch = new StringBuilder();
            for (int i = 0; i < linesPerClient; i++)
            {
                final String text = names.get(c) + "-" + i;
                final int destinations = 1 + random.nextInt(3);
                for (int d = 0; d < destinations; d++)
                {
                    final int dest = random.nextInt(clientCount);
                    batch.append(d == 0 ? "" : ", ").append(names.get(dest));
                    // A destination listed again in the same line gets the line once (docs/protocol.md rule 4).
                    if (null == expectedByClient.get(dest).put("from " + names.get(c) + ": " + text, 1))
                    {
                        expectedDeliveries++;
                    }
                }
                batch.append(": ").append(text).append('\n');
                if ((i + 1) % linesPerWrite == 0 || i == linesPerClient - 1)
                {
                    writes.add(batch.toString().getBytes(StandardCharsets.US_ASCII));
                    batch.setLength(0);
                }
            }
            writesByClient.add(writes);
        }

        final CountDownLatch start = new CountDownLatch(1);
        final CountDownLatch allRouted = new CountDownLatch(clientCount);
        final List<Future<Map<String, Integer>>> readers = new ArrayList<>();
        final List<Future<Void>> writers = new ArrayList<>();
        for (int c = 0; c < clientCount; c++)
        {
            final LineClient client = clients.get(c);
            final String name = names.get(c);
            final List<byte[]> writes = writesByClient.get(c);
            readers.add(executor.submit(() -> receiveUntilFin(client, name, allRouted)));
            writers.add(executor.submit(() ->
            {
                assertTrue(start.await(10, TimeUnit.SECONDS));
                for (final byte[] write : writes)
                {
                    client.sendRaw(write);
                }
                // When this comes back, the broker has routed every line above: it handles a connection in order.
                client.send(name + ": routed");
                // Only when every client's lines are routed can "fin" be the last line each receiver gets.
                assertTrue(allRouted.await(LOAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "all routed");
                client.send(name + ": fin");
                return null;
            }));
        }

        final long startNs = System.nanoTime();
        start.countDown();
        for (int c = 0; c < clientCount; c++)
        {
            join(writers.get(c), LOAD_TIMEOUT, "writer of " + names.get(c) + " (seed " + seed + ")");
        }
        for (int c = 0; c < clientCount; c++)
        {
            final Map<String, Integer> received =
                join(readers.get(c), LOAD_TIMEOUT, "reader of " + names.get(c) + " (seed " + seed + ")");
            assertEquals(expectedByClient.get(c), received,
                names.get(c) + " must receive exactly the messages addressed to it (seed " + seed + ")");
        }
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        System.out.printf("%d clients, %,d lines, %,d deliveries exactly once in %,d ms%n",
            clientCount, clientCount * linesPerClient, expectedDeliveries, elapsedMs);
    }

    /**
     * Counts the messages a client receives until its own "fin" comes back, counting down {@code allRouted} when its
     * own "routed" marker comes back. Any error line fails the test.
     */
    private static Map<String, Integer> receiveUntilFin(
        final LineClient client, final String name, final CountDownLatch allRouted) throws Exception
    {
        final String routed = "from " + name + ": routed";
        final String fin = "from " + name + ": fin";
        final Map<String, Integer> received = new HashMap<>();
        while (true)
        {
            final String line = client.readLine(LOAD_TIMEOUT);
            if (line.equals(routed))
            {
                allRouted.countDown();
            }
            else if (line.equals(fin))
            {
                return received;
            }
            else if (line.startsWith("from "))
            {
                received.merge(line, 1, Integer::sum);
            }
            else
            {
                fail(name + " received an unexpected line: " + line);
            }
        }
    }
}
