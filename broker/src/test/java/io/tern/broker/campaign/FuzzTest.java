/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.tern.broker.BrokerConfig;
import io.tern.broker.LineClient;

import static io.tern.transport.TestSockets.openSockets;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz: hostile clients ({@link Fuzzer}) send random bytes, random line lengths, NUL and non-UTF-8 bytes, lone
 * {@code \r}, invalid names, huge destination lists and overlong lines, concurrently with well-behaved pairs
 * ({@link SequencedPair}). Every well-behaved receiver gets every message meant for it exactly once and in order, and
 * no line holding a control character (a lone {@code \r} or NUL from a fuzzer is refused, not forwarded); the
 * broker keeps the same threads, has no internal error, releases every hostile connection (sockets back to
 * the baseline), keeps its heap bounded and still registers and routes for a newcomer.
 * <p>
 * Seeded: the seed is printed, and {@code -Dtern.fuzz.seed=N} replays it (the interleaving of threads still varies).
 * {@code -Dtern.fuzz.seconds} sets the fuzzing time (default {@value #DEFAULT_SECONDS} s; {@link FuzzLongTest} runs
 * longer).
 */
class FuzzTest extends CampaignSupport
{
    static final int DEFAULT_SECONDS = 8;
    private static final int FUZZERS = 8;
    private static final int PAIRS = 3;
    private static final long HEAP_GROWTH_BOUND_BYTES = 64L * 1024 * 1024;

    @Test
    @Timeout(120)
    void shouldServeWellBehavedPairsExactlyOnceInOrderWhileFuzzed() throws Exception
    {
        fuzz(Integer.getInteger("tern.fuzz.seconds", DEFAULT_SECONDS));
    }

    /** The campaign body, shared with {@link FuzzLongTest}. */
    void fuzz(final int seconds) throws Exception
    {
        final long seed = Long.getLong("tern.fuzz.seed", System.nanoTime());
        System.out.println("FuzzTest seed " + seed + " (replay with -Dtern.fuzz.seed=" + seed + "), " + seconds + " s");
        try
        {
            runFuzz(seed, seconds);
        }
        catch (final AssertionError | Exception ex)
        {
            throw new AssertionError("fuzz failed with seed " + seed + ": " + ex.getMessage(), ex);
        }
    }

    private void runFuzz(final long seed, final int seconds) throws Exception
    {
        startBroker(new BrokerConfig().maxLineBytes(Fuzzer.MAX_LINE_BYTES));
        final long heapBefore = usedHeapAfterGc();

        // Names a fuzzer cannot know in advance; the fuzzers may still address the receivers with small messages.
        final String nonce = Long.toHexString(seed & 0xFFFFFF);
        final List<SequencedPair> pairs = new ArrayList<>();
        final List<String> receivers = new ArrayList<>();
        final List<LineClient[]> pairClients = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++)
        {
            final LineClient sender = register("wb-" + nonce + "-s" + i);
            final LineClient receiver = register("wb-" + nonce + "-r" + i);
            receivers.add(receiver.name());
            pairClients.add(new LineClient[]{ sender, receiver });
        }
        final int socketsBaseline = openSockets();

        final int burst = 8;
        final long pauseNs = TimeUnit.MILLISECONDS.toNanos(10);
        final int count = (int)(seconds * 1000L / 10 * burst); // spread over the fuzzing time at most
        for (final LineClient[] pc : pairClients)
        {
            pairs.add(new SequencedPair(pc[0], pc[1], count, burst, pauseNs, true).start(executor));
        }

        final Map<String, LongAdder> counts = Fuzzer.newCounts();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        final List<Future<?>> fuzzers = new ArrayList<>();
        final List<Fuzzer> fuzzerList = new ArrayList<>();
        for (int i = 0; i < FUZZERS; i++)
        {
            final Fuzzer fuzzer = new Fuzzer(i, seed + i, address, deadlineNs, receivers, counts);
            fuzzerList.add(fuzzer);
            fuzzers.add(executor.submit(fuzzer));
        }
        for (int i = 0; i < FUZZERS; i++)
        {
            join(fuzzers.get(i), Duration.ofSeconds(seconds + 60L), fuzzerList.get(i) + " to finish");
        }
        assertBrokerHealthy("right after the fuzzing");

        for (final SequencedPair pair : pairs)
        {
            pair.awaitAndCheck(Duration.ofSeconds(seconds + 60L));
        }

        // Every hostile connection is gone from the test side; the broker must close its side of each of them.
        awaitCondition("the broker to close every fuzzer connection (sockets back to " + socketsBaseline + ", now " +
            openSockets() + ")", Duration.ofSeconds(20), () -> openSockets() <= socketsBaseline);

        // And it still serves a newcomer.
        final LineClient late = register("late-" + nonce);
        assertNextLineIsProbe(late, pairClients.get(0)[0]);

        final long heapAfter = usedHeapAfterGc();
        final TreeMap<String, Long> tally = Fuzzer.snapshot(counts);
        long strangers = 0;
        long strangersWithControls = 0;
        long delivered = 0;
        for (final SequencedPair pair : pairs)
        {
            strangers += pair.strangers();
            strangersWithControls += pair.strangersWithControls();
            delivered += pair.received();
        }
        System.out.println("FuzzTest seed " + seed + ": " + FUZZERS + " fuzzers for " + seconds + " s: " + tally);
        System.out.println("FuzzTest: well-behaved messages delivered exactly once in order " + delivered + " of " +
            (long)count * PAIRS + "; stranger lines to receivers " + strangers + " (with a control character " +
            strangersWithControls + "); slow-consumer cuts " +
            broker.slowConsumerDisconnects() + "; heap after GC " + heapBefore / 1024 + " KiB -> " +
            heapAfter / 1024 + " KiB; broker threads " + brokerThreads());
        assertTrue(heapAfter - heapBefore < HEAP_GROWTH_BOUND_BYTES, "heap after GC grew from " + heapBefore +
            " to " + heapAfter + " bytes");
        assertTrue(tally.getOrDefault("connections", 0L) >= FUZZERS, "the fuzzers did run: " + tally);
        assertEquals(0, strangersWithControls, "stranger lines with a control character reached a receiver");
        assertBrokerHealthy("at the end");
    }
}
