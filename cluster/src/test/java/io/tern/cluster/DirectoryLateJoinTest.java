/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node that joins a directory already holding many names hears every one of them: the directory's list is longer
 * than a node's egress window holds at once, so it must ride out the back-pressure rather than drop names, and a node
 * that finds its list short asks again.
 */
class DirectoryLateJoinTest
{
    private static final int NAMES = 4000;

    private TestNodes cluster;

    @AfterEach
    void close()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    @Test
    @Timeout(120)
    void shouldListEveryNameToANodeThatJoinsLate() throws Exception
    {
        cluster = new TestNodes(3, 5000);
        cluster.awaitConnected(30_000);
        for (int i = 1; i <= NAMES; i++)
        {
            final int claimId = i;
            TestNodes.await(() -> cluster.claim(0, claimId, "peer-with-a-longish-name-" + claimId), 10_000,
                "the claim is queued");
        }
        TestNodes.await(() -> count(0, "granted ") == NAMES, 60_000, "node 0 gets every name");

        cluster.stop(2);
        final long startNs = System.nanoTime();
        cluster.start(2);
        TestNodes.await(() -> cluster.events[2].has("connected"), 30_000, "node 2 joins again");
        TestNodes.await(() -> count(2, "held 0 peer-with-a-longish-name-") == NAMES, 30_000,
            "node 2 hears every name held on node 0");
        System.out.println("DirectoryLateJoinTest: a node that joined again heard " + NAMES + " names after " +
            java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");
        assertTrue(cluster.events[2].lines.stream().noneMatch(line -> line.startsWith("released ")));
    }

    private long count(final int node, final String prefix)
    {
        return cluster.events[node].lines.stream().filter(line -> line.startsWith(prefix)).count();
    }
}
