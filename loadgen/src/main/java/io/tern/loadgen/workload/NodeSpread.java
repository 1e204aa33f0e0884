/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.workload;

import java.util.Locale;

/**
 * Which node of a cluster each peer connects to ({@code --nodes}): the one place that decides it, so that every
 * message crosses nodes where the workload allows it.
 * <pre>
 *  nodes   0            1            2
 *  pairs   s0 --------&gt; r0
 *                       s1 --------&gt; r1
 *          r2 &lt;--------------------- s2          sender i on node i mod n, its receiver on node (i+1) mod n
 *  fanout  s0, s1 ----&gt; r0, r2 ...   r1, r3 ...  every sender on node 0, receivers round-robin over nodes 1..n-1
 *  mesh    p0, p3       p1, p4       p2, p5      peer p on node p mod n; random destinations, so 1/n stay local
 *  idle    i0, i3       i1, i4       i2, i5      idle peer i on node i mod n
 * </pre>
 * Ping-pong is a load model of the pairs workload, so its two ends are on two nodes as well. Fanout keeps its senders
 * together because a line names every receiver: only with no receiver on a sender's node does every delivery cross.
 * With one node every peer is on node 0, and a run is exactly a run against one broker.
 * <p>
 * Immutable; any thread.
 */
public final class NodeSpread
{
    private final Workload workload;
    private final int nodeCount;
    private final int[] nodeOfPeer;
    private final int[] peersPerNode;

    private NodeSpread(final Workload workload, final int nodeCount)
    {
        this.workload = workload;
        this.nodeCount = nodeCount;
        nodeOfPeer = new int[workload.peerCount()];
        peersPerNode = new int[nodeCount];
        for (int peer = 0; peer < nodeOfPeer.length; peer++)
        {
            nodeOfPeer[peer] = place(workload, nodeCount, peer);
            peersPerNode[nodeOfPeer[peer]]++;
        }
    }

    /**
     * @param workload  the run's topology.
     * @param nodeCount nodes to spread over, at least 1.
     * @return the spread of the workload's peers.
     */
    public static NodeSpread of(final Workload workload, final int nodeCount)
    {
        if (nodeCount < 1)
        {
            throw new IllegalArgumentException("nodeCount=" + nodeCount + ": must be at least 1");
        }
        return new NodeSpread(workload, nodeCount);
    }

    private static int place(final Workload workload, final int nodeCount, final int peer)
    {
        if (nodeCount == 1)
        {
            return 0;
        }
        final int sender = workload.senderOfPeer(peer);
        final int receiver = workload.receiverOfPeer(peer);
        switch (workload.kind())
        {
            case PAIRS:
                return sender >= 0 ? sender % nodeCount : (receiver + 1) % nodeCount;
            case FANOUT:
                return sender >= 0 ? 0 : 1 + receiver % (nodeCount - 1);
            default:
                return peer % nodeCount;
        }
    }

    /**
     * @param idlePeer  index of an idle peer ({@code --idle-peers}).
     * @param nodeCount nodes, at least 1.
     * @return the node it connects to: round-robin.
     */
    public static int nodeOfIdlePeer(final int idlePeer, final int nodeCount)
    {
        return idlePeer % nodeCount;
    }

    /** @return how many nodes the peers are spread over. */
    public int nodeCount()
    {
        return nodeCount;
    }

    /**
     * @param peer index in the workload.
     * @return the index of the node it connects to.
     */
    public int nodeOfPeer(final int peer)
    {
        return nodeOfPeer[peer];
    }

    /**
     * @param node index.
     * @return the workload's peers connected to that node.
     */
    public int peersOnNode(final int node)
    {
        return peersPerNode[node];
    }

    /** @return true when every delivery of every message goes from one node to another (false for one node). */
    public boolean everyMessageCrossesNodes()
    {
        if (nodeCount == 1 || workload.kind() == WorkloadKind.MESH)
        {
            return false;
        }
        for (int s = 0; s < workload.senderCount(); s++)
        {
            for (int r = 0; r < workload.receiverCount(); r++)
            {
                if (workload.sendsTo(s, r) &&
                    nodeOfPeer[workload.peerOfSender(s)] == nodeOfPeer[workload.peerOfReceiver(r)])
                {
                    return false;
                }
            }
        }
        return true;
    }

    /** @return the rule and the resulting peers per node, in one line; for one node, {@code all peers on one node}. */
    public String describe()
    {
        if (nodeCount == 1)
        {
            return "all peers on one node";
        }
        final String rule;
        switch (workload.kind())
        {
            case PAIRS:
                rule = "sender i on node i mod " + nodeCount + ", its receiver on node (i+1) mod " + nodeCount +
                    ": every message crosses nodes";
                break;
            case FANOUT:
                rule = "senders on node 0, receivers round-robin over nodes 1.." + (nodeCount - 1) +
                    ": every delivery crosses nodes";
                break;
            default:
                rule = "peer p on node p mod " + nodeCount + "; destinations are random, so about 1 in " + nodeCount +
                    " messages stays on its node";
                break;
        }
        final StringBuilder sb = new StringBuilder(rule).append("; peers per node");
        for (int node = 0; node < nodeCount; node++)
        {
            sb.append(node == 0 ? " " : ", ").append(String.format(Locale.ROOT, "%d", peersPerNode[node]));
        }
        return sb.toString();
    }
}
