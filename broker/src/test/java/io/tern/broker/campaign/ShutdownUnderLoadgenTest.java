/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.broker.campaign;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shutdown under a loadgen run: the broker process gets SIGTERM while {@code tern-loadgen} (with
 * {@code --allow-errors}) drives 20 pairs at 10,000 msg/s, and while the in-test flood and held pair of
 * {@link ShutdownUnderLoadTest} run beside it. The broker exits 0; the held pair and flood pairs get everything the
 * broker had read; the loadgen saw messages lost at the cut (expected) but none duplicated, out of order or corrupt.
 * Needs {@code loadgen/target/tern-loadgen.jar}.
 */
@Tag("slow")
class ShutdownUnderLoadgenTest extends CampaignSupport
{
    @Test
    @Timeout(180)
    void shouldDeliverEverythingReadBeforeSigtermDuringALoadgenRun() throws Exception
    {
        final Path dir = Path.of("target", "campaign", "shutdown-loadgen");
        try (BrokerProcess broker = BrokerProcess.start(dir, List.of("-Xmx256m"), List.of("--flush-timeout-ms", "5000"));
            LoadgenProcess loadgen = LoadgenProcess.start(dir, "shutdown", broker.address(), List.of(
                "--pairs", "20", "--rate", "10000", "--warmup", "2s", "--duration", "20s", "--drain-timeout", "3s",
                "--allow-errors", "--quiet")))
        {
            address = broker.address();
            final ShutdownUnderLoadTest.FloodAndHold load =
                new ShutdownUnderLoadTest.FloodAndHold(executor, this::register).start();
            // Let the loadgen get into its measured period, then cut in the middle of the run.
            final long loadgenStartNs = System.nanoTime();
            assertFalse(loadgen.waitFor(Duration.ofSeconds(8)), "the loadgen ended early:\n" + loadgen.outputText());
            load.holdAndProve();

            final long sigtermAtMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loadgenStartNs);
            broker.terminate();
            final List<String> held = load.readHeldUntilClosed();
            assertEquals(0, broker.awaitExit(Duration.ofSeconds(30)), "broker exit status after SIGTERM");
            load.checkHeld(held);
            load.checkFloodPairs();

            final int loadgenExit = loadgen.awaitExit(Duration.ofSeconds(120));
            final String summary = loadgen.outputText();
            System.out.println(summary);
            System.out.println("ShutdownUnderLoadgen: SIGTERM " + sigtermAtMs + " ms after the in-test load started " +
                "(loadgen in its measured period); loadgen " +
                "sent " + loadgen.count("sent") + ", received " + loadgen.count("received") + ", lost " +
                loadgen.count("lost") + ", duplicated " + loadgen.count("duplicated") + ", out of order " +
                loadgen.count("outOfOrder") + ", corrupt " + loadgen.count("corrupt") + ", disconnects " +
                loadgen.count("disconnects"));
            assertEquals(0, loadgenExit, "loadgen exit with --allow-errors:\n" + summary);
            assertEquals(0, loadgen.count("duplicated"), summary);
            assertEquals(0, loadgen.count("outOfOrder"), summary);
            assertEquals(0, loadgen.count("corrupt"), summary);
            assertTrue(loadgen.count("received") > 0, summary);
            assertFalse(broker.stderrText().contains("SEVERE"), "the broker logged an error:\n" + broker.stderrText());
        }
    }
}
