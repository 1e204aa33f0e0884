/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Aeron 1.47.4 with our Agrona 2.3.2: a one-member and a three-member directory start, answer a claim, and stop; and a
 * JVM that ran a cluster node exits by itself once the node is closed (Agrona 2.3's shutdown hook waits for every
 * {@code ShutdownSignalBarrier} to be closed, which Aeron before 1.49 never does with its own).
 */
class ClusterStartTest
{
    @Test
    @Timeout(60)
    void shouldStartServeAndStopOneMemberDirectory() throws Exception
    {
        try (TestNodes cluster = new TestNodes(1, 2000))
        {
            cluster.awaitConnected(20_000);
            assertTrue(cluster.claim(0, 1, "alice"));
            TestNodes.await(() -> cluster.events[0].has("granted 1"), 10_000, "the claim is granted");
        }
    }

    @Test
    @Timeout(90)
    void shouldStartServeAndStopThreeMemberDirectory() throws Exception
    {
        try (TestNodes cluster = new TestNodes(3, 2000))
        {
            cluster.awaitConnected(30_000);
            assertTrue(cluster.claim(1, 7, "bob"));
            TestNodes.await(() -> cluster.events[1].has("granted 7"), 10_000, "the claim is granted");
            for (int i = 0; i < 3; i++)
            {
                final int node = i;
                TestNodes.await(() -> cluster.events[node].has("held 1 bob"), 10_000,
                    "node " + i + " hears that node 1 holds bob");
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldLetTheJvmExitOnceANodeIsClosed() throws Exception
    {
        final Path out = Files.createTempFile("cluster-exit", ".log");
        final Process process = new ProcessBuilder(
            new File(System.getProperty("java.home"), "bin/java").getPath(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            ClusterExitProbe.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
        try
        {
            final boolean exited = process.waitFor(45, TimeUnit.SECONDS);
            assertTrue(exited, "the JVM did not exit after the node closed:\n" + Files.readString(out));
            assertEquals(0, process.exitValue(), Files.readString(out));
            assertTrue(Files.readString(out).contains("probe: granted"), Files.readString(out));
        }
        finally
        {
            process.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }
}
