/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Soak: the broker as its own process under a steady loadgen run of at least ten minutes, with zero loss, and heap
 * after a full GC, resident set size, threads and file descriptors flat from the first minute to the last.
 * <p>
 * Settings (system properties): {@code tern.soak.minutes} (10), {@code tern.soak.rate} (5000 msg/s),
 * {@code tern.soak.pairs} (10). The per-minute figures are printed and written to
 * {@code target/campaign/soak/figures.md}.
 * <p>
 * Bounds, and why: heap after GC may grow by at most {@value #HEAP_GROWTH_KIB} KiB between the first and the last
 * minute (the hot path is garbage-free and the connection set is fixed, so a real leak of even 100 bytes a message
 * would show 100 × rate × 540 s ≫ 16 MiB); RSS by at most {@value #RSS_GROWTH_KIB} KiB (JIT code cache and malloc
 * arenas still settle after the first minute; a leak of direct memory per message or per batch would exceed it).
 */
@Tag("slow")
class SoakTest
{
    private static final long HEAP_GROWTH_KIB = 16 * 1024;
    private static final long RSS_GROWTH_KIB = 48 * 1024;

    private record Sample(int minute, long rssKiB, long heapAfterGcKiB, long threads, long fds) { }

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void shouldRunTenMinutesAtASteadyRateWithZeroLossAndFlatMemory() throws Exception
    {
        final int minutes = Integer.getInteger("tern.soak.minutes", 10);
        final int rate = Integer.getInteger("tern.soak.rate", 5000);
        final int pairs = Integer.getInteger("tern.soak.pairs", 10);
        final Path dir = Path.of("target", "campaign", "soak");
        final String started = ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME);
        final List<Sample> samples = new ArrayList<>();

        try (BrokerProcess broker = BrokerProcess.start(dir, List.of("-Xmx256m"), List.of());
            LoadgenProcess loadgen = LoadgenProcess.start(dir, "soak", broker.address(), List.of(
                "--workload", "pairs", "--pairs", Integer.toString(pairs), "--load", "open",
                "--rate", Integer.toString(rate), "--warmup", "5s", "--duration", minutes * 60 + "s",
                "--drain-timeout", "10s", "--quiet")))
        {
            final long startNs = System.nanoTime();
            for (int minute = 1; minute <= minutes; minute++)
            {
                final long dueNs = startNs + TimeUnit.SECONDS.toNanos(5 + 60L * minute);
                // Wait for the next sample time; the loadgen exiting early is a failure, reported below.
                if (loadgen.waitFor(Duration.ofNanos(Math.max(1, dueNs - System.nanoTime()))))
                {
                    break;
                }
                final Sample sample = new Sample(minute, broker.rssKiB(), broker.heapAfterGcKiB(), broker.threads(),
                    broker.openFileDescriptors());
                samples.add(sample);
                System.out.println("soak " + sample);
            }

            final int exit = loadgen.awaitExit(Duration.ofMinutes(3));
            final String summary = loadgen.outputText();
            final String figures = figures(started, minutes, rate, pairs, samples, loadgen, exit);
            Files.writeString(dir.resolve("figures.md"), figures, StandardCharsets.UTF_8);
            System.out.println(figures);
            System.out.println(summary);

            assertEquals(0, exit, "loadgen reported a problem:\n" + summary);
            for (final String count : List.of("lost", "duplicated", "outOfOrder", "corrupt", "errorLines",
                "disconnects"))
            {
                assertEquals(0, loadgen.count(count), count + " in the soak:\n" + summary);
            }
            assertEquals(minutes, samples.size(), "the loadgen ended early:\n" + summary);

            final Sample first = samples.get(0);
            final Sample last = samples.get(samples.size() - 1);
            assertTrue(last.heapAfterGcKiB() - first.heapAfterGcKiB() <= HEAP_GROWTH_KIB,
                "heap after GC grew from " + first.heapAfterGcKiB() + " KiB to " + last.heapAfterGcKiB() + " KiB");
            assertTrue(last.rssKiB() - first.rssKiB() <= RSS_GROWTH_KIB,
                "RSS grew from " + first.rssKiB() + " KiB to " + last.rssKiB() + " KiB");
            assertEquals(first.threads(), last.threads(), "broker process thread count changed: " + samples);
            assertEquals(first.fds(), last.fds(), "broker process file descriptors changed: " + samples);

            broker.terminate();
            assertEquals(0, broker.awaitExit(Duration.ofSeconds(30)), "broker exit status after SIGTERM");
            final String stderr = broker.stderrText();
            assertFalse(stderr.contains("SEVERE"), "the broker logged an error:\n" + stderr);
        }
    }

    private static String figures(final String started, final int minutes, final int rate, final int pairs,
        final List<Sample> samples, final LoadgenProcess loadgen, final int exit) throws Exception
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("Soak: ").append(minutes).append(" min, pairs workload, ").append(pairs).append(" pairs, open loop ")
            .append(rate).append(" msg/s, 64-byte messages; broker JVM -Xmx256m, default broker settings; started ")
            .append(started).append("; machine ").append(Runtime.getRuntime().availableProcessors())
            .append(" cores\n\n");
        sb.append("| minute | heap after full GC (KiB) | RSS (KiB) | threads | fds |\n");
        sb.append("|-------:|-------------------------:|----------:|--------:|----:|\n");
        for (final Sample s : samples)
        {
            sb.append("| ").append(s.minute()).append(" | ").append(s.heapAfterGcKiB()).append(" | ")
                .append(s.rssKiB()).append(" | ").append(s.threads()).append(" | ").append(s.fds()).append(" |\n");
        }
        sb.append("\nloadgen exit ").append(exit);
        try
        {
            sb.append("; sent ").append(loadgen.count("sent"))
                .append(", received ").append(loadgen.count("received"))
                .append(", lost ").append(loadgen.count("lost"))
                .append(", duplicated ").append(loadgen.count("duplicated"))
                .append(", out of order ").append(loadgen.count("outOfOrder"))
                .append(", corrupt ").append(loadgen.count("corrupt"))
                .append("; corrected latency p50 ").append(loadgen.latencyMicros("corrected", "p50"))
                .append(" us, p99 ").append(loadgen.latencyMicros("corrected", "p99"))
                .append(" us, p99.9 ").append(loadgen.latencyMicros("corrected", "p99_9"))
                .append(" us, max ").append(loadgen.latencyMicros("corrected", "max")).append(" us\n");
        }
        catch (final AssertionError ex)
        {
            sb.append("; no summary: ").append(ex.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
