/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deadlines for named peers: a line begun and never finished ({@code partial-line-timeout-ms}), and a peer that
 * neither sends nor receives ({@code idle-timeout-ms}). Short deadlines here; the defaults are 30 s and off.
 */
@Timeout(60)
class BrokerLivenessTest extends BrokerTestSupport
{
    private static final long DEADLINE_MS = 500;

    /**
     * The attack as reported: a named peer that dribbles one byte at a time (here every 50 ms, well inside any idle
     * deadline) and never ends its line held its slot forever. It is cut at the partial-line deadline with an error
     * line; a peer that finishes its lines, in pieces, is not.
     */
    @Test
    void shouldCutANamedPeerThatDribblesALineAndKeepOneThatFinishesItsLines() throws Exception
    {
        startBroker(new BrokerConfig().partialLineTimeoutMs(DEADLINE_MS).idleTimeoutMs(60_000));
        final LineClient alice = register("alice");
        final LineClient dribbler = register("dribbler");
        final AtomicBoolean stop = new AtomicBoolean();
        final long startNs = System.nanoTime();
        final Future<?> dribbling = executor.submit(() -> dribble(dribbler, stop));
        try
        {
            // Meanwhile alice sends lines in two pieces, each piece well within the deadline.
            while (System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(3 * DEADLINE_MS))
            {
                alice.sendRaw("alice: in two ".getBytes(StandardCharsets.US_ASCII));
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS / 5)); // pacing the sender
                alice.sendRaw("pieces\n".getBytes(StandardCharsets.US_ASCII));
                alice.expectLine("from alice: in two pieces");
            }
            assertEquals(List.of("error: line not finished within " + DEADLINE_MS + " ms"),
                dribbler.awaitClosed(Duration.ofSeconds(5)));
            final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
            assertTrue(elapsedMs >= DEADLINE_MS && elapsedMs < 3 * DEADLINE_MS + 2_000, "cut after " + elapsedMs +
                " ms");
        }
        finally
        {
            stop.set(true);
            join(dribbling, Duration.ofSeconds(10), "the dribbler");
        }
        assertNextLineIsProbe(alice, alice);
        final LineClient again = registerRetrying("dribbler", Duration.ofSeconds(5)); // its name is free again
        assertNextLineIsProbe(again, alice);
    }

    /**
     * A named peer that sends nothing held its slot and name forever. It is cut at the idle deadline; a peer that
     * only receives, and one that only sends, are active and stay.
     */
    @Test
    void shouldCutASilentNamedPeerAndKeepPeersThatSendOrReceive() throws Exception
    {
        startBroker(new BrokerConfig().idleTimeoutMs(DEADLINE_MS));
        final LineClient sender = register("sender");
        final LineClient listener = register("listener");
        final LineClient silent = register("silent");
        final long startNs = System.nanoTime();
        int ticks = 0;
        while (System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(4 * DEADLINE_MS))
        {
            sender.send("listener: tick " + ticks);
            listener.expectLine("from sender: tick " + ticks);
            ticks++;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS / 5)); // pacing the sender
        }
        assertEquals(List.of("error: idle for " + DEADLINE_MS + " ms"), silent.awaitClosed(Duration.ofSeconds(5)));
        assertNextLineIsProbe(listener, sender);
        listener.send("sender: still here");
        sender.expectLine("from listener: still here");
    }

    /** By default there is no idle deadline: a quiet peer is a normal peer (keepalive finds vanished hosts). */
    @Test
    void shouldKeepASilentPeerByDefault() throws Exception
    {
        startBroker(new BrokerConfig().partialLineTimeoutMs(DEADLINE_MS));
        final LineClient quiet = register("quiet");
        // Outlive the partial-line deadline, measured by a connection that dribbles a line being cut.
        final LineClient witness = register("witness");
        witness.sendRaw("quiet: never end".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of("error: line not finished within " + DEADLINE_MS + " ms"), witness.awaitClosed());
        assertNextLineIsProbe(quiet, quiet);
    }

    private Void dribble(final LineClient dribbler, final AtomicBoolean stop)
    {
        final byte[] line = "alice: one byte at a time, never ending ".getBytes(StandardCharsets.US_ASCII);
        try
        {
            for (int i = 0; !stop.get(); i++)
            {
                dribbler.sendRaw(new byte[]{ line[i % line.length] });
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the attack's pace, not synchronisation
            }
        }
        catch (final java.io.IOException ex)
        {
            // cut by the broker: what the test waits for
        }
        return null;
    }
}
