/*
 * Copyright 2026 the tern authors. Licensed under the Apache License, Version 2.0.
 */
package io.tern.loadgen.client;

import io.tern.loadgen.workload.NodeSpread;
import io.tern.loadgen.workload.Workload;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The server addresses of a run's nodes and which of them each peer connects to: the addresses of
 * {@code --nodes} (or the one of {@code --host}/{@code --port}) joined with the {@link NodeSpread}, which decides.
 * <p>
 * Immutable; any thread (used by the calling thread while connecting).
 */
public final class PeerNodes
{
    private final List<InetSocketAddress> addresses;
    private final NodeSpread spread;

    private PeerNodes(final List<InetSocketAddress> addresses, final NodeSpread spread)
    {
        if (addresses.size() != spread.nodeCount())
        {
            throw new IllegalArgumentException("addresses=" + addresses.size() + ": the spread is over " +
                spread.nodeCount() + " nodes");
        }
        this.addresses = List.copyOf(addresses);
        this.spread = spread;
    }

    /**
     * @param addresses of the nodes, in the order the spread numbers them.
     * @param workload  the run's topology.
     * @return every peer placed by {@link NodeSpread#of(Workload, int)}.
     */
    public static PeerNodes of(final List<InetSocketAddress> addresses, final Workload workload)
    {
        return new PeerNodes(addresses, NodeSpread.of(workload, addresses.size()));
    }

    /**
     * @param address  of the one server.
     * @param workload the run's topology.
     * @return every peer on that server.
     */
    public static PeerNodes one(final InetSocketAddress address, final Workload workload)
    {
        return of(List.of(address), workload);
    }

    /** @return how many nodes. */
    public int count()
    {
        return addresses.size();
    }

    /** @return true for more than one node. */
    public boolean several()
    {
        return addresses.size() > 1;
    }

    /** @return the rule that placed the peers. */
    public NodeSpread spread()
    {
        return spread;
    }

    /** @return the nodes' addresses for messages: {@code a, b, c}; for one node exactly its address. */
    public String addressesText()
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < addresses.size(); i++)
        {
            sb.append(i == 0 ? "" : ", ").append(addresses.get(i));
        }
        return sb.toString();
    }

    /**
     * @param peer index in the workload.
     * @return the address of the node it connects to.
     */
    public InetSocketAddress addressOfPeer(final int peer)
    {
        return addresses.get(spread.nodeOfPeer(peer));
    }
}
