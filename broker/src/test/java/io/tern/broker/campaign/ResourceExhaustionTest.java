/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.LineClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Running out of resources while accepting, with the broker as its own process so that its limits can be set:
 * file descriptors ({@code ulimit -n}) and direct memory ({@code -XX:MaxDirectMemorySize}), which holds every
 * connection's outbound ring and staging buffer. Either way the broker must keep its acceptor, not spin a core, and
 * serve a newcomer once the resources are back.
 */
class ResourceExhaustionTest extends CampaignSupport
{
    /**
     * File descriptors run out: accept fails with "Too many open files" while 200 clients wait in the backlog. The
     * broker backs off (under half a core in the burst, where a spinning acceptor takes a whole one), logs it a few
     * times at most, and when the clients go, it serves a newcomer and an existing peer is undisturbed throughout.
     */
    @Test
    @Timeout(90)
    void shouldBackOffWithoutSpinningWhenFileDescriptorsRunOutAndRecover() throws Exception
    {
        try (BrokerProcess broker = BrokerProcess.start(Path.of("target", "campaign", "emfile"), List.of("-Xmx128m"),
            List.of(), 128))
        {
            address = broker.address(); // for connect() and register()
            final LineClient alice = register("alice");
            final LineClient bob = register("bob");
            final long fdsBefore = broker.openFileDescriptors();
            final List<LineClient> crowd = new ArrayList<>();
            for (int i = 0; i < 200; i++)
            {
                // the kernel completes these from the backlog
                crowd.add(connect());
            }
            awaitCondition("the broker to run out of descriptors (" + broker.openFileDescriptors() +
                " open, " + fdsBefore + " before)", Duration.ofSeconds(20),
                () -> broker.openFileDescriptors() >= 120);

            final long cpuBeforeMs = broker.cpuTimeMs();
            final long startNs = System.nanoTime();
            // Exchanges between existing peers during the burst: they must not notice.
            for (int i = 0; i < 100; i++)
            {
                bob.send("alice: during the burst " + i);
                alice.expectLine("from bob: during the burst " + i);
            }
            final long burstMs = Math.max(2000, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            awaitElapsed(startNs, burstMs);
            final long cpuMs = broker.cpuTimeMs() - cpuBeforeMs;
            System.out.println("ResourceExhaustion EMFILE: broker used " + cpuMs + " ms CPU in " + burstMs +
                " ms of accept failures");
            assertTrue(cpuMs < burstMs / 2, "the broker used " + cpuMs + " ms of CPU in " + burstMs +
                " ms while accept failed: spinning");

            closeAll(crowd);
            final LineClient carol = registerWithin("carol", Duration.ofSeconds(30));
            carol.send("alice: after the burst");
            alice.expectLine("from carol: after the burst");

            broker.terminate();
            assertEquals(0, broker.awaitExit(Duration.ofSeconds(30)));
            final String log = broker.stderrText();
            final long acceptWarnings = log.lines().filter(l -> l.contains("WARNING") &&
                l.toLowerCase().contains("accept")).count();
            assertTrue(acceptWarnings >= 1 && acceptWarnings <= 4, "accept failures logged " + acceptWarnings +
                " times, expected once per burst:\n" + log);
            assertFalse(log.contains("SEVERE"), log);
        }
    }

    /**
     * Direct memory runs out: with {@code -XX:MaxDirectMemorySize=16m} only about 58 connections' buffers fit, and
     * 120 clients connect. Each, one at a time, must be served or refused (closed,
     * perhaps with an error line) within 10 s; none may be left unanswered, which is what a dead acceptor does. Once
     * they go, a newcomer registers and talks to a peer that was there all along.
     */
    @Test
    @Timeout(90)
    void shouldKeepAcceptingAfterDirectMemoryForConnectionsRunsOut() throws Exception
    {
        try (BrokerProcess broker = BrokerProcess.start(Path.of("target", "campaign", "direct-memory"),
            List.of("-Xmx128m", "-XX:MaxDirectMemorySize=16m"), List.of()))
        {
            address = broker.address(); // for connect() and register()
            final LineClient alice = register("alice");
            final List<LineClient> crowd = new ArrayList<>();
            int served = 0;
            int refused = 0;
            for (int i = 0; i < 120; i++)
            {
                // One at a time, each must be served or refused: a connection left unanswered means nobody accepts.
                final LineClient client = connect().name("crowd-" + i);
                crowd.add(client);
                client.send(client.name() + "\n" + client.name() + ": in");
                final String line;
                try
                {
                    line = client.readLineOrEof(Duration.ofSeconds(10));
                }
                catch (final AssertionError ex)
                {
                    throw new AssertionError(client.name() + " (after " + served + " served, " + refused +
                        " refused) was neither served nor refused within 10 s: nobody accepts any more. Broker log:\n" +
                        errorLines(broker.stderrText()), ex);
                }
                if (("from " + client.name() + ": in").equals(line))
                {
                    served++;
                }
                else
                {
                    assertTrue(null == line || line.startsWith("error: "), client.name() + " got " + line);
                    refused++;
                }
            }
            System.out.println("ResourceExhaustion direct memory: " + served + " served, " + refused + " refused");
            alice.send("alice: still here");
            alice.expectLine("from alice: still here");
            closeAll(crowd);

            final LineClient bob = registerWithin("bob", Duration.ofSeconds(30));
            bob.send("alice: hello after the shortage");
            alice.expectLine("from bob: hello after the shortage");
            final String log = broker.stderrText();
            assertFalse(log.contains("Exception in thread \"acceptor\""), "the acceptor thread died:\n" + log);
            broker.terminate();
            assertEquals(0, broker.awaitExit(Duration.ofSeconds(30)));
        }
    }

    private static String errorLines(final String log)
    {
        final StringBuilder sb = new StringBuilder();
        log.lines().filter(l -> !l.contains(" INFO ")).limit(12).forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }

    private void closeAll(final List<LineClient> crowd) throws IOException
    {
        for (final LineClient client : crowd)
        {
            client.close();
            untrack(client);
        }
    }

    /** Registers, retrying a connection that the broker closes unserved (e.g. still short of a resource). */
    private LineClient registerWithin(final String name, final Duration timeout) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true)
        {
            final LineClient client = connect().name(name);
            client.send(name + "\n" + name + ": registered");
            final long remainingNs = deadlineNs - System.nanoTime();
            final String line = client.readLineOrEof(Duration.ofNanos(Math.max(1, remainingNs)));
            if (("from " + name + ": registered").equals(line))
            {
                return client;
            }
            assertTrue(null == line || line.startsWith("error: "), name + " got " + line);
            client.close();
            untrack(client);
        }
    }

    /** Waits until {@code durationMs} has passed since {@code startNs}: a measurement window, not synchronisation. */
    private static void awaitElapsed(final long startNs, final long durationMs)
    {
        final long endNs = startNs + TimeUnit.MILLISECONDS.toNanos(durationMs);
        while (System.nanoTime() - endNs < 0)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(endNs - System.nanoTime());
        }
    }
}
