/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connection limit and the deadline for the name line.
 */
@Timeout(30)
class BrokerLimitsTest extends BrokerTestSupport
{
    @Test
    void shouldCloseAConnectionThatSendsNoNameInTimeAndLeaveOthersAlone() throws Exception
    {
        startBroker(new BrokerConfig().nameTimeoutMs(300));
        final LineClient alice = register("alice");
        final LineClient silent = connect();
        final LineClient slowloris = connect();
        slowloris.sendRaw("bo".getBytes(StandardCharsets.US_ASCII)); // a name that never ends

        final long startNs = System.nanoTime();
        assertEquals(List.of("error: no name within 300 ms"), silent.awaitClosed(Duration.ofSeconds(5)));
        assertEquals(List.of("error: no name within 300 ms"), slowloris.awaitClosed(Duration.ofSeconds(5)));
        final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        assertTrue(elapsedMs < 2_000, "closed after " + elapsedMs + " ms");

        // The named peer is untouched, and the half-sent name 'bo' was never registered.
        alice.send("alice, bo: still here");
        alice.expectLine("from alice: still here");
        alice.expectLine("error: no peer 'bo'");
        assertNextLineIsProbe(alice, alice);
    }

    @Test
    void shouldKeepAConnectionThatNamesItselfInTime() throws Exception
    {
        startBroker(new BrokerConfig().nameTimeoutMs(300));
        final LineClient bob = register("bob");
        // Outlive the deadline by a wide margin, measured by waiting for an unnamed connection to be cut.
        final LineClient witness = connect();
        witness.awaitClosed(Duration.ofSeconds(5));
        bob.send("bob: after the deadline");
        bob.expectLine("from bob: after the deadline");
    }

    @Test
    void shouldRefuseTheConnectionOverTheLimitAndServeTheOthers() throws Exception
    {
        startBroker(new BrokerConfig().maxConnections(3));
        final List<LineClient> peers = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            peers.add(register("p" + i));
        }

        final LineClient extra = connect();
        assertEquals(List.of("error: too many connections"), extra.awaitClosed(Duration.ofSeconds(5)));

        peers.get(0).send("p1, p2: hello");
        peers.get(1).expectLine("from p0: hello");
        peers.get(2).expectLine("from p0: hello");

        // Once one leaves, its slot is free again (the count drops when the broker has closed the socket).
        peers.get(2).close();
        awaitCondition("a slot to free up", Duration.ofSeconds(10), () ->
        {
            try
            {
                final LineClient again = registerRetrying("p3", Duration.ofSeconds(1));
                again.send("p0: back");
                peers.get(0).expectLine("from p3: back");
                return true;
            }
            catch (final AssertionError | Exception ex)
            {
                return false;
            }
        });
    }

    /**
     * The attack: one line naming a peer 9,000 times (63 KB) used to queue 9,000 copies for it, and the broker cut it
     * as a slow consumer although it read as fast as it could. Now a name repeated in a line is delivered to once,
     * and a line naming more than max-destinations names is refused whole.
     */
    @Test
    void shouldDeliverOnceToANameRepeatedInALineAndRefuseALineNamingTooMany() throws Exception
    {
        startBroker(new BrokerConfig().maxQueuedBytesPerPeer(256 * 1024));
        final LineClient victim = register("victim");
        final LineClient mallory = register("mallory");

        mallory.send(String.join(",", java.util.Collections.nCopies(9_000, "victim")) + ": x");
        mallory.expectLine("error: too many destinations (max 1024)");

        // 1,024 times, within the limit: 1,024 copies of this text would pass the 256 KiB bound; one is delivered.
        final String text = "once " + "x".repeat(300);
        mallory.send(String.join(", ", java.util.Collections.nCopies(1024, "victim")) + ": " + text);
        victim.expectLine("from mallory: " + text);
        assertNextLineIsProbe(victim, mallory); // nothing else arrived before it, and the victim is still connected
        assertEquals(0, broker.slowConsumerDisconnects());

        // The limit counts names as written, blanks between commas are not names.
        mallory.send(" , victim ,, mallory , : both");
        victim.expectLine("from mallory: both");
        mallory.expectLine("from mallory: both");
        assertNextLineIsProbe(victim, mallory);
    }

    @Test
    void shouldTakeTheDestinationLimitFromTheSetting() throws Exception
    {
        startBroker(new BrokerConfig().maxDestinations(2));
        final LineClient a = register("a");
        final LineClient b = register("b");
        a.send("a, b: two");
        a.expectLine("from a: two");
        b.expectLine("from a: two");
        a.send("a, b, a: three, repeats counted");
        a.expectLine("error: too many destinations (max 2)");
        assertNextLineIsProbe(b, a); // nothing of the refused line reached b
    }
}
