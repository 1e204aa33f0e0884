/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Disconnects (README, rule 8): what a client sent before closing is still processed, a final line without
 * {@code \n} counts, and then its name is released and its queued output discarded.
 */
class BrokerDisconnectTest extends BrokerTestSupport
{
    private static final Duration RECONNECT_TIMEOUT = Duration.ofSeconds(10);

    /** How a peer leaves. */
    enum Departure
    {
        /** An orderly close. */
        CLOSE
        {
            void leave(final LineClient client) throws IOException
            {
                client.close();
            }
        },
        /** The connection fails: a reset (RST). */
        ABORT
        {
            void leave(final LineClient client) throws IOException
            {
                client.abort();
            }
        };

        abstract void leave(LineClient client) throws IOException;
    }

    @BeforeEach
    void start() throws Exception
    {
        startBroker();
    }

    @Test
    @Timeout(30)
    void shouldProcessEveryLineSentBeforeAnOrderlyClose() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final LineClient carol = register("carol");
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 1000; i++)
        {
            batch.append("bob: last words ").append(i).append('\n');
        }

        alice.sendRaw(utf8(batch.toString()));
        alice.close(); // at once: most of the batch is still unread by the broker

        for (int i = 0; i < 1000; i++)
        {
            bob.expectLine("from alice: last words " + i);
        }
        assertNextLineIsProbe(bob, carol);
    }

    @Test
    @Timeout(30)
    void shouldDeliverAFinalLineWithoutNewlineOnClose() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        alice.sendRaw(utf8("bob: first\nbob: unterminated"));
        alice.close();

        bob.expectLine("from alice: first");
        bob.expectLine("from alice: unterminated");
    }

    @Test
    @Timeout(30)
    void shouldDeliverAFinalLineWithoutNewlineOnHalfClose() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        alice.sendRaw(utf8("bob: unterminated, half-closed"));
        alice.shutdownOutput();

        bob.expectLine("from alice: unterminated, half-closed");
        // End-of-stream is the client closing: the broker then releases the name and closes the connection.
        assertEquals(List.of(), alice.awaitClosed());
    }

    @Test
    @Timeout(30)
    void shouldTreatAFinalLineWithoutNewlineLikeAnyOtherLine() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        final LineClient carol = register("carol");

        // Trimmed and split at the first ':' like any line, and routed to several destinations.
        alice.sendRaw(utf8(" bob , carol : tail: end \t"));
        alice.close();

        bob.expectLine("from alice: tail: end");
        carol.expectLine("from alice: tail: end");
    }

    @ParameterizedTest
    @EnumSource(Departure.class)
    @Timeout(30)
    void shouldReleaseTheNameWhenThePeerLeaves(final Departure departure) throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");
        departure.leave(alice);

        final LineClient again = registerRetrying("alice", RECONNECT_TIMEOUT);
        bob.send("alice: welcome back");
        again.expectLine("from bob: welcome back");
    }

    @Test
    @Timeout(30)
    void shouldReleaseTheNameAfterItsFinalLineIsRouted() throws Exception
    {
        final LineClient alice = register("alice");
        final LineClient bob = register("bob");

        // The final line is sent to the sender's own name: it is processed while alice still holds the name, so it is
        // routed to the old connection (and discarded with it), never to a new holder of the name.
        alice.sendRaw(utf8("bob: bye\nalice: to my old self"));
        alice.close();
        bob.expectLine("from alice: bye");

        final LineClient again = registerRetrying("alice", RECONNECT_TIMEOUT);
        assertNextLineIsProbe(again, bob);
    }

    @Test
    @Timeout(30)
    void shouldDiscardWhatIsQueuedForAClosedPeerInsteadOfGivingItToTheNextHolderOfTheName() throws Exception
    {
        // A small receive window, so that most of what is sent to the victim stays queued in the broker.
        final LineClient victim = register("victim", 4096);
        final LineClient sender = register("sender");
        final String padding = "p".repeat(400);
        final StringBuilder batch = new StringBuilder();
        for (int i = 0; i < 200; i++) // ~85 KB: well inside the default 256 KiB outbound ring
        {
            batch.append("victim: old ").append(i).append(' ').append(padding).append('\n');
        }
        sender.sendRaw(utf8(batch.toString()));
        assertNextLineIsProbe(sender, sender); // the broker has routed the whole batch to the victim

        victim.abort(); // it never read any of it

        // The new incarnation's first line must be its own registration probe (checked by registerRetrying).
        final LineClient reborn = registerRetrying("victim", RECONNECT_TIMEOUT);
        sender.send("victim: new");
        reborn.expectLine("from sender: new");
        assertNextLineIsProbe(sender, sender); // and the sender was told nothing about the discarded lines
    }
}
