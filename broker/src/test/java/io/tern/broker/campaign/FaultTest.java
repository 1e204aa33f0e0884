/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.BrokerConfig;
import io.tern.broker.LineClient;

import static io.tern.transport.TestSockets.openSockets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults: connections reset mid-line, half-closed connections, clients that connect and vanish by the thousand,
 * clients that never send a name, clients that never read, and a reader or a writer hitting an I/O error. Each case
 * leaves the broker serving everyone else: a well-behaved observer gets exactly what it should, names are released,
 * connections are closed (sockets back to the baseline), threads and internal errors unchanged.
 */
class FaultTest extends CampaignSupport
{
    private static final long SEED = Long.getLong("tern.fault.seed", 42);

    /**
     * The reader's read fails (connection reset) with a complete line and a partial one of up to 60 KB buffered: the
     * complete line is delivered, the partial one at most once and only as what was sent (docs/protocol.md rule 8), the name is
     * released and the observer sees nothing else.
     */
    @Test
    @Timeout(90)
    void shouldDeliverCompleteLinesAndReleaseTheNameWhenAConnectionIsResetMidLine() throws Exception
    {
        startBroker(new BrokerConfig());
        final LineClient observer = register("obs");
        final Random random = new Random(SEED);
        final int rounds = 150;
        int partialsDelivered = 0;
        LineClient client = registerRetrying("rst", Duration.ofSeconds(10));
        for (int k = 0; k < rounds; k++)
        {
            final String partial = "partial-" + k + "-" + "p".repeat(random.nextInt(k % 3 == 0 ? 60_000 : 3_000));
            client.sendRaw(("obs: complete-" + k + "\nobs: " + partial).getBytes(StandardCharsets.US_ASCII));
            // Once the complete line is through, the broker has read up to it; the partial line follows in the same
            // write, so the reset finds it buffered with the reader or in flight.
            observer.expectLine("from rst: complete-" + k);
            client.abort();
            untrack(client);
            // The name comes free only once the broker has handled the disconnect, after anything before it.
            client = registerRetrying("rst", Duration.ofSeconds(10));
            // The partial line may have come through (a final line without '\n' counts), at most once and only as
            // sent; the probe shows nothing else did.
            final String probe = nextProbe();
            observer.send("obs: " + probe);
            final String line = observer.readLine();
            if (!line.equals("from obs: " + probe))
            {
                assertTrue(line.startsWith("from rst: ") && partial.startsWith(line.substring(10)),
                    "observer got an unexpected line after complete-" + k + ": " + abbreviate(line));
                partialsDelivered++;
                observer.expectLine("from obs: " + probe);
            }
        }
        System.out.println("FaultTest reset mid-line: " + rounds + " resets, " + rounds + " complete lines delivered, " +
            partialsDelivered + " partial final lines delivered");
        assertBrokerHealthy("after resets mid-line");
    }

    /**
     * Half-closed: the client shuts down its output after two lines and a final partial one. All three are
     * delivered (a final line without {@code \n} counts), the broker closes the connection and releases the name.
     */
    @Test
    @Timeout(90)
    void shouldDeliverEverythingAndCloseWhenAClientHalfCloses() throws Exception
    {
        startBroker(new BrokerConfig());
        final LineClient observer = register("obs");
        final int rounds = 200;
        for (int k = 0; k < rounds; k++)
        {
            final LineClient client = registerRetrying("half", Duration.ofSeconds(10));
            client.sendRaw(("obs: h-" + k + "-1\nobs: h-" + k + "-2\r\nobs: h-" + k + "-final").getBytes(
                StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertEquals(List.of(), client.awaitClosed(), "half-closed client " + k + " got lines");
            assertEquals("", client.trailingFragment());
            client.close();
            untrack(client);
            observer.expectLine("from half: h-" + k + "-1");
            observer.expectLine("from half: h-" + k + "-2");
            observer.expectLine("from half: h-" + k + "-final");
        }
        assertNextLineIsProbe(observer, register("prober"));
        assertBrokerHealthy("after half-closes");
    }

    /**
     * Clients that connect and vanish by the thousand, in every way (close, reset, partial name, name and a line then
     * reset), with max-connections at 256: if the broker leaked a connection slot, a file descriptor or a name, the
     * later waves or the final 250 registrations would fail.
     */
    @Test
    @Timeout(120)
    void shouldForgetThousandsOfClientsThatConnectAndVanish() throws Exception
    {
        final int maxConnections = 256;
        startBroker(new BrokerConfig().maxConnections(maxConnections));
        final LineClient observer = register("obs");
        final LineClient prober = register("prober");
        final int socketsBaseline = openSockets();
        final Random random = new Random(SEED);
        final int waves = 30;
        final int perWave = 100;
        final Set<String> expectedByObserver = new HashSet<>();
        for (int wave = 0; wave < waves; wave++)
        {
            final List<LineClient> batch = new ArrayList<>();
            for (int i = 0; i < perWave; i++)
            {
                batch.add(connectClient(address));
            }
            for (int i = 0; i < perWave; i++)
            {
                final LineClient client = batch.get(i);
                final String name = "v" + wave + "-" + i;
                switch (random.nextInt(5))
                {
                    case 0:
                        client.close();
                        break;
                    case 1:
                        client.abort();
                        break;
                    case 2:
                        client.sendRaw(name.substring(0, 2).getBytes(StandardCharsets.US_ASCII));
                        client.close();
                        break;
                    case 3:
                        client.send(name);
                        client.send("obs: vanish " + name);
                        expectedByObserver.add("from " + name + ": vanish " + name);
                        client.abort();
                        break;
                    default:
                        client.send(name);
                        client.close();
                        break;
                }
            }
            final int w = wave;
            awaitCondition("the broker to close wave " + w + " (sockets " + openSockets() + ", baseline " +
                socketsBaseline + ")", Duration.ofSeconds(15), () -> openSockets() <= socketsBaseline);
        }

        // Only lines that were sent, each at most once. (Not all of them: SO_LINGER 0 makes the client's kernel drop
        // whatever it had not yet transmitted, so a line written just before the reset may never reach the broker.)
        final String probe = nextProbe();
        prober.send("obs: " + probe);
        final Set<String> got = new HashSet<>();
        while (true)
        {
            final String line = observer.readLine();
            if (line.equals("from prober: " + probe))
            {
                break;
            }
            assertTrue(expectedByObserver.contains(line) && got.add(line), "unexpected or repeated line " + line);
        }

        // Every slot is free again: all but the two bystanders' can be used at once.
        final List<LineClient> many = new ArrayList<>();
        for (int i = 0; i < maxConnections - 2; i++)
        {
            many.add(register("many-" + i));
        }
        assertNextLineIsProbe(many.get(many.size() - 1), observer);
        System.out.println("FaultTest connect-and-vanish: " + waves * perWave + " connections, " + got.size() +
            " of them sent a line before the reset; then " + many.size() + " registrations at max-connections " +
            maxConnections);
        assertBrokerHealthy("after connect-and-vanish");
    }

    /**
     * Clients that never send a name (nothing at all, or a name without its {@code \n}) hold connections while a
     * well-behaved pair exchanges 2,000 messages and newcomers register; when they go, their connections are closed.
     * (With a name deadline the broker may close them earlier; either way nobody else notices.)
     */
    @Test
    @Timeout(90)
    void shouldServeOthersWhileClientsNeverSendAName() throws Exception
    {
        startBroker(new BrokerConfig());
        final int socketsBaseline = openSockets();
        final List<LineClient> silent = new ArrayList<>();
        for (int i = 0; i < 400; i++)
        {
            final LineClient client = connect();
            if (i % 4 == 0)
            {
                client.sendRaw(("silent-" + i).getBytes(StandardCharsets.US_ASCII)); // no '\n', ever
            }
            silent.add(client);
        }
        final SequencedPair pair = new SequencedPair(register("wb-s"), register("wb-r"), 2_000, 20, 0, false)
            .start(executor);
        for (int i = 0; i < 20; i++)
        {
            assertNextLineIsProbe(register("newcomer-" + i), register("greeter-" + i));
        }
        pair.awaitAndCheck(Duration.ofSeconds(60));
        for (final LineClient client : silent)
        {
            client.close();
            untrack(client);
        }
        final int expectedSockets = socketsBaseline + 2 * (2 + 40); // the pair, newcomers and greeters, both ends each
        awaitCondition("the broker to close the silent connections (sockets " + openSockets() + ")",
            Duration.ofSeconds(15), () -> openSockets() <= expectedSockets);
        assertBrokerHealthy("after silent clients");
    }

    /**
     * Clients that never read: ten receivers that a sender floods, and ten clients that flood the broker with lines
     * whose error replies they never read. Each is cut as a slow consumer, its name released; the flooding sender
     * and a well-behaved pair are not disturbed.
     */
    @Test
    @Timeout(120)
    void shouldCutClientsThatNeverReadAndNobodyElse() throws Exception
    {
        startBroker(new BrokerConfig());
        final SequencedPair pair = new SequencedPair(register("wb-s"), register("wb-r"), 4_000, 20, 200_000, false)
            .start(executor);

        final int nonReaders = 10;
        final List<LineClient> deaf = new ArrayList<>();
        for (int i = 0; i < nonReaders; i++)
        {
            deaf.add(register("deaf-" + i, 4096));
        }
        final LineClient sender = register("sender");
        final Future<Integer> senderErrors = readNoPeerErrorsUntilDone(sender);

        // Error-reply flooders: they send lines to nobody and never read the replies.
        final List<Future<Long>> flooders = new ArrayList<>();
        for (int i = 0; i < 10; i++)
        {
            final LineClient flooder = register("errflood-" + i, 4096);
            flooders.add(executor.submit(() -> floodUntilCut(flooder, "nobody: x\n")));
        }

        floodNonReadersUntilCut(sender, nonReaders, nonReaders + 10);
        sender.send("sender: done");
        join(senderErrors, Duration.ofSeconds(30), "the sender's replies");
        for (final Future<Long> flooder : flooders)
        {
            join(flooder, Duration.ofSeconds(60), "an error-reply flooder to be cut");
        }
        assertCutAsSlowConsumers(deaf);
        assertEquals(nonReaders + 10, broker.slowConsumerDisconnects(), "exactly the non-readers are cut");
        pair.awaitAndCheck(Duration.ofSeconds(60));
        registerRetrying("deaf-0", Duration.ofSeconds(10));
        registerRetrying("errflood-0", Duration.ofSeconds(10));
        assertNextLineIsProbe(sender, sender);
        assertBrokerHealthy("after non-readers");
    }

    /** Sends {@code line} in batches until a write fails because the broker closed the connection. */
    private static long floodUntilCut(final LineClient client, final String line)
    {
        final byte[] batch = line.repeat(1000).getBytes(StandardCharsets.US_ASCII);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long sent = 0;
        try
        {
            while (System.nanoTime() - deadlineNs < 0)
            {
                client.sendRaw(batch);
                sent += 1000;
            }
        }
        catch (final IOException expected)
        {
            return sent; // cut by the broker
        }
        return fail(client.name() + " was never cut after " + sent + " lines");
    }

    /**
     * The writer's write fails: a receiver that does not read has megabytes queued (its socket full, the writer
     * waiting for OP_WRITE) when it resets. The name is released, nobody else notices, and it is not counted as a
     * slow consumer.
     */
    @Test
    @Timeout(120)
    void shouldReleaseTheNameWhenTheWriterHitsAnIoError() throws Exception
    {
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(16 * 1024 * 1024));
        final LineClient observer = register("obs");
        final LineClient pump = register("pump");
        final byte[] kilobyte = ("x".repeat(1000)).getBytes(StandardCharsets.US_ASCII);
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 1000; i++)
        {
            sb.append("wio: ").append(new String(kilobyte, StandardCharsets.US_ASCII)).append('\n');
        }
        final byte[] megabyte = sb.toString().getBytes(StandardCharsets.US_ASCII);
        final int rounds = 8;
        for (int k = 0; k < rounds; k++)
        {
            final LineClient victim = registerRetrying("wio", Duration.ofSeconds(10));
            for (int mb = 0; mb < 8; mb++)
            {
                pump.sendRaw(megabyte);
            }
            assertNextLineIsProbe(pump, pump); // all 8 MB routed: the socket holds at most a few, the ring the rest
            victim.abort();
            untrack(victim);
            assertNextLineIsProbe(observer, pump);
        }
        registerRetrying("wio", Duration.ofSeconds(10));
        assertEquals(0, broker.slowConsumerDisconnects(), "a reset is not a slow consumer");
        assertBrokerHealthy("after writer I/O errors");
    }

    private static String abbreviate(final String line)
    {
        return line.length() <= 100 ? line : line.substring(0, 100) + "...(" + line.length() + " chars)";
    }
}
