/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen;

import io.tern.broker.Broker;
import io.tern.broker.BrokerConfig;
import io.tern.broker.ClusterMembers;
import io.tern.broker.Settings;
import io.tern.cluster.ClusterPorts;
import io.tern.loadgen.report.RunSummary;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The loadgen across a real two-node tern cluster, both nodes in this JVM (the cluster module, a test dependency,
 * is found by the broker's ServiceLoader): pairs and ping-pong run clean with every message crossing from one node
 * to the other, which each node's {@code tern_cluster_frames_received_total} shows.
 */
class LoadGenClusterTest
{
    @TempDir
    static Path dir;

    private static final Broker[] NODES = new Broker[2];

    @BeforeAll
    static void startCluster() throws Exception
    {
        final String members = ClusterPorts.members(NODES.length);
        for (int node = 0; node < NODES.length; node++)
        {
            NODES[node] = Broker.launch(new BrokerConfig()
                .threading("shared") // one thread per node: two nodes and the loadgen share two cores
                .port(0)
                .adminPort(0)
                .set(Settings.CLUSTER_MEMBERS, members)
                .set(Settings.CLUSTER_NODE_ID, node)
                .set(Settings.CLUSTER_DIR, dir.resolve("node-" + node)));
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (final Broker node : NODES)
        {
            while (!node.clusterConnected())
            {
                assertTrue(System.nanoTime() - deadlineNs < 0, "the cluster did not form within 30 s");
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    @AfterAll
    static void stopCluster()
    {
        for (final Broker node : NODES)
        {
            if (null != node)
            {
                node.close();
            }
        }
    }

    private static String nodes()
    {
        return "127.0.0.1:" + NODES[0].localAddress().getPort() + ",127.0.0.1:" + NODES[1].localAddress().getPort();
    }

    private static long framesReceived(final int node) throws Exception
    {
        return BrokerMetrics.value(NODES[node], "tern_cluster_frames_received_total");
    }

    private static RunSummary runClean(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LoadGenResult result = LoadGen.run(LoadGenOptions.parse(args),
            new PrintStream(out, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(LoadGen.EXIT_OK, result.exitCode(), text);
        final RunSummary summary = result.summary();
        assertTrue(summary.counts().clean(), text);
        assertTrue(summary.counts().received() > 0, text);
        assertEquals(summary.counts().expectedDeliveries(), summary.counts().received(), text);
        assertEquals(nodes().replace(",", ", "), summary.broker());
        assertTrue(summary.toJson().contains("\"spread\": \"sender i on node i mod 2"), summary.toJson());
        return summary;
    }

    @Test
    @Timeout(60)
    void shouldRunPairsWithEveryMessageCrossingNodes() throws Exception
    {
        final long before0 = framesReceived(0);
        final long before1 = framesReceived(1);
        final RunSummary summary = runClean("--nodes", nodes(), "--pairs", "2", "--load", "max", "--in-flight", "8",
            "--warmup", "200ms", "--duration", "1s", "--connect-timeout", "20s", "--quiet",
            "--name-prefix", "lgc-pairs-");
        final long crossed0 = framesReceived(0) - before0;
        final long crossed1 = framesReceived(1) - before1;
        // Pair 0 sends from node 0 to node 1, pair 1 from node 1 to node 0; registration probes cross too.
        assertTrue(crossed0 > 0 && crossed1 > 0, crossed0 + " / " + crossed1);
        assertTrue(crossed0 + crossed1 >= summary.counts().received(),
            "every delivery crossed: " + (crossed0 + crossed1) + " frames for " + summary.counts().received());
    }

    @Test
    @Timeout(60)
    void shouldPingPongBetweenTwoNodes() throws Exception
    {
        final long before1 = framesReceived(1);
        final RunSummary summary = runClean("--nodes", nodes(), "--pairs", "1", "--load", "ping-pong",
            "--warmup", "200ms", "--duration", "1s", "--connect-timeout", "20s", "--quiet",
            "--name-prefix", "lgc-ping-");
        // The sender is on node 0, its receiver on node 1: each ping reaches node 1 from node 0.
        assertTrue(framesReceived(1) - before1 >= summary.counts().received(),
            (framesReceived(1) - before1) + " frames for " + summary.counts().received());
    }
}
