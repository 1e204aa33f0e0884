/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.cluster;

/** Runs a one-node cluster in a JVM of its own, claims a name, closes the node and returns from main. */
public final class ClusterExitProbe
{
    private ClusterExitProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        try (TestNodes cluster = new TestNodes(1, 2000))
        {
            cluster.awaitConnected(30_000);
            cluster.claim(0, 1, "probe");
            TestNodes.await(() -> cluster.events[0].has("granted 1"), 10_000, "the claim is granted");
            System.out.println("probe: granted");
        }
        System.out.println("probe: closed");
    }
}
